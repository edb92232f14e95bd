// The README's quick start on the embedded database: `npm start` with no database server, the CLI
// used from another process while the server runs, and data that survives a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';
import * as oidc from 'openid-client';

import { ROOT, spawnCli } from '../helpers/cli.js';
import { freePort } from '../helpers/test-server.js';

interface ServerProcess {
  child: ChildProcess;
  output: () => string;
}

function startServerProcess(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Gatehouse is listening')) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

function stopServerProcess(server: ServerProcess): Promise<number | null> {
  return new Promise((resolve) => {
    server.child.removeAllListeners('exit');
    server.child.once('exit', (code) => resolve(code));
    server.child.kill('SIGTERM');
  });
}

describe('quick start on the embedded database', function () {
  this.timeout(120_000);
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-qs-'));
    const port = await freePort();
    // No DATABASE_URL, no secrets: exactly what a first `npm start` sees.
    env = { GATEHOUSE_DATA_DIR: dataDir, PORT: String(port), ISSUER: `http://127.0.0.1:${port}` };
  });

  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves, registers through the CLI while running, and keeps its data across a restart', async () => {
    let server = await startServerProcess(env);
    expect(server.output()).to.include(`embedded database in ${dataDir}`);
    expect(server.output()).to.include(`${env.ISSUER}/.well-known/openid-configuration`);

    const api = await spawnCli(['apis', 'create', '--identifier', 'https://qs.example.com', '--scopes', 'read', '--json'], env);
    expect(api.code, api.stderr).to.equal(0);
    const created = await spawnCli(['clients', 'create', '--name', 'QS', '--api', 'https://qs.example.com', '--grant-types', 'client_credentials', '--json'], env);
    expect(created.code, created.stderr).to.equal(0);
    const { client_id: clientId, client_secret: clientSecret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string };

    const issue = async () => {
      const config = await oidc.discovery(new URL(env.ISSUER!), clientId, clientSecret, oidc.ClientSecretBasic(clientSecret), { execute: [oidc.allowInsecureRequests] });
      return oidc.clientCredentialsGrant(config, { scope: 'read' });
    };
    const first = await issue();
    expect(first.scope).to.equal('read');

    expect(await stopServerProcess(server)).to.equal(0);
    server = await startServerProcess(env);
    try {
      const second = await issue();
      expect(second.scope).to.equal('read');
      // The same signing key after the restart: the earlier token's kid is still published.
      const jwks = (await (await fetch(`${env.ISSUER}/jwks`)).json()) as { keys: { kid: string }[] };
      const kid = JSON.parse(Buffer.from(first.access_token.split('.')[0]!, 'base64url').toString()).kid as string;
      expect(jwks.keys.map((k) => k.kid)).to.include(kid);
    } finally {
      expect(await stopServerProcess(server)).to.equal(0);
    }

    // With the server stopped, the CLI opens the data directory itself.
    const listed = await spawnCli(['clients', 'list', '--json'], env);
    expect(listed.code, listed.stderr).to.equal(0);
    expect((JSON.parse(listed.stdout) as { clients: { client_id: string }[] }).clients.map((c) => c.client_id)).to.include(clientId);
  });
});
