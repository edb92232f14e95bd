// The embedded database: PGlite on a data directory, served over the Postgres wire protocol on a
// Unix socket inside that directory, so the server and the CLI both speak plain `pg` to it.
// PGlite lets only one process open a data directory: the first process opens it and serves it;
// any other process (the CLI while the server runs) connects through the socket.
/* eslint-disable security/detect-non-literal-fs-filename -- paths come from the operator's configuration or the project itself, never from a request */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';

import { StatementQueue } from './pglite-statement-queue.js';

/** How `pg` reaches the embedded database: a socket directory and the port number in the socket's name. */
export interface SocketConnection {
  host: string;
  port: number;
  user: string;
  database: string;
}

export interface EmbeddedPostgres {
  connection: SocketConnection;
  /** True when this process opened the data directory; false when it connects to another process's. */
  owner: boolean;
  close(): Promise<void>;
}

const SOCKET_PORT = 5432;
// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH = 100;
// Enough for the server's pool plus a few CLI invocations at once.
const MAX_CONNECTIONS = 40;

function socketFile(dir: string): string {
  return path.join(dir, `.s.PGSQL.${SOCKET_PORT}`);
}

function connectionFor(dir: string): SocketConnection {
  return { host: dir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' };
}

function canConnect(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(file);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory's lock file, clearing a lock left by a process that no longer exists. */
function acquireLock(lockFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isFinite(holder) && holder !== process.pid && processAlive(holder)) {
        throw new Error(`the embedded database in ${path.dirname(lockFile)} is in use by process ${holder}`, { cause: error });
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not lock the embedded database in ${path.dirname(lockFile)}`);
}

interface SocketService {
  stop(): Promise<void>;
}

/**
 * Serves the database on a Unix socket with pglite-socket's protocol handler, but with
 * Gatehouse's StatementQueue in place of its per-message queue (which lets statements of
 * different connections interleave; see pglite-statement-queue.ts).
 */
async function serve(db: PGlite, socketDir: string): Promise<SocketService> {
  await db.waitReady;
  const queue = new StatementQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server: Server = createServer((socket: Socket) => {
    if (handlers.size >= MAX_CONNECTIONS) {
      socket.end();
      return;
    }
    // The handler's type names pglite-socket's own queue class; ours has the same methods.
    const handler = new PGLiteSocketHandler({ queryQueue: queue as unknown as ConstructorParameters<typeof PGLiteSocketHandler>[0]['queryQueue'], closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketFile(socketDir), () => resolve());
  });
  return {
    async stop() {
      for (const handler of handlers) await handler.detach(true);
      handlers.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Opens (or joins) the embedded database kept in `dataDir`.
 * `exclusive`: refuse to join another process's database (the server must own its data directory).
 */
export async function openEmbeddedPostgres(dataDir: string, { exclusive }: { exclusive: boolean }): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = socketFile(dataDir);
  if (file.length > MAX_SOCKET_PATH) {
    throw new Error(`GATEHOUSE_DATA_DIR path is too long for a Unix socket (${file.length} > ${MAX_SOCKET_PATH} bytes): choose a shorter path`);
  }
  if (existsSync(file) && (await canConnect(file))) {
    if (exclusive) {
      throw new Error(`the embedded database in ${dataDir} is already served by another Gatehouse process`);
    }
    return { connection: connectionFor(dataDir), owner: false, close: async () => {} };
  }

  const releaseLock = acquireLock(path.join(dataDir, 'gatehouse.lock'));
  try {
    rmSync(file, { force: true });
    const db = await PGlite.create(path.join(dataDir, 'pgdata'));
    const server = await serve(db, dataDir);
    return {
      connection: connectionFor(dataDir),
      owner: true,
      async close() {
        await server.stop();
        await db.close();
        rmSync(file, { force: true });
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/** A throwaway in-memory embedded database (tests, and `npm test` on a machine without Postgres). */
export async function openEphemeralPostgres(): Promise<EmbeddedPostgres> {
  const socketDir = mkdtempSync(path.join(os.tmpdir(), 'gh-pg-'));
  const db = await PGlite.create();
  const server = await serve(db, socketDir);
  return {
    connection: connectionFor(socketDir),
    owner: true,
    async close() {
      await server.stop();
      await db.close();
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
