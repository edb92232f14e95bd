// A throwaway PgBouncer (Debian's package) in transaction pooling mode in front of the test Postgres
// server, on its own port, for tests that prove Gatehouse keeps no session state across statements.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { freePort } from './test-server.js';

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncer {
  /** `base` with its host and port replaced by PgBouncer's. */
  urlFor(base: string): string;
  port: number;
  stop(): Promise<void>;
}

export function pgbouncerAvailable(): boolean {
  return spawnSync(PGBOUNCER, ['--version']).status === 0;
}

function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`pgbouncer exited:\n${output()}`));
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`pgbouncer did not listen:\n${output()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Starts PgBouncer in front of the server named by `upstreamUrl` (trust authentication, as on this machine). */
export async function startPgBouncer(upstreamUrl: string): Promise<PgBouncer> {
  const upstream = new URL(upstreamUrl);
  const user = decodeURIComponent(upstream.username || 'postgres');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-pgbouncer-'));
  chmodSync(dir, 0o777);
  writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${upstream.hostname} port=${upstream.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      'default_pool_size = 4',
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,application_name',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root: as root, it drops to the postgres user.
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', path.join(dir, 'pgbouncer.ini')] : [path.join(dir, 'pgbouncer.ini')];
  const child = spawn(PGBOUNCER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitForPort(port, child, () => output);
  return {
    port,
    urlFor(base: string) {
      const url = new URL(base);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async stop() {
      if (child.exitCode === null) {
        await new Promise((done) => {
          child.once('exit', done);
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
