// Opens the database Gatehouse stores everything in: a Postgres server (DATABASE_URL) or the
// embedded PGlite database in the data directory. Both are reached through knex + pg.
import knexFactory, { type Knex } from 'knex';
import type pg from 'pg';

import type { Logger } from '../services/logger.js';
import { abandonOnQueryTimeout, isUsableConnection } from './abandoned-connections.js';
import { openEmbeddedPostgres, type EmbeddedPostgres, type SocketConnection } from './embedded-postgres.js';
import { knexLog } from './knex-log.js';
import { markConnectionFailure } from './unavailable.js';

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  /** Client-side bound on one query; undefined: defaultQueryTimeoutMs(statementTimeoutMs). */
  queryTimeoutMs?: number | undefined;
  /** Where knex's own warnings go; without one they are dropped. */
  logger?: Logger;
  /** The server owns its embedded database; the CLI may join the server's. */
  exclusive: boolean;
}

export interface Database {
  knex: Knex;
  kind: 'postgres' | 'embedded';
  /** Where the data lives, for the start-up log (never includes a password). */
  description: string;
  /** The pg connection settings, for a dedicated LISTEN connection. */
  connection: string | SocketConnection;
  close(): Promise<void>;
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/**
 * statement_timeout is enforced by the server, so it cannot end a query whose server is unreachable
 * (a black-holed network path): the client gives up a little later by itself. Without a statement
 * timeout (0: PgBouncer, where the role sets it) no statement has a known bound, and a client-side one
 * would cut off legitimately long work (migrations, advisory-lock waits): then only DB_QUERY_TIMEOUT_MS sets one.
 */
export function defaultQueryTimeoutMs(statementTimeoutMs: number): number | undefined {
  return statementTimeoutMs > 0 ? statementTimeoutMs + 5_000 : undefined;
}

type KnexSettings = Pick<DatabaseOptions, 'poolMax' | 'statementTimeoutMs' | 'connectTimeoutMs' | 'queryTimeoutMs' | 'logger'> & {
  /** Whether to give up on a query after defaultQueryTimeoutMs when DB_QUERY_TIMEOUT_MS is unset (not for the embedded database). */
  clientTimeoutByDefault?: boolean;
};

interface PoolEvents {
  on(event: 'createFail', listener: (eventId: number, error: unknown) => void): void;
}

export function createKnex(
  connection: string | SocketConnection,
  { poolMax, statementTimeoutMs, connectTimeoutMs, queryTimeoutMs, logger, clientTimeoutByDefault = true }: KnexSettings,
): Knex {
  const base = typeof connection === 'string' ? { connectionString: connection } : connection;
  const clientTimeout = queryTimeoutMs ?? (clientTimeoutByDefault ? defaultQueryTimeoutMs(statementTimeoutMs) : undefined);
  const knex = knexFactory({
    client: 'pg',
    connection: {
      ...base,
      // 0 sends none: PgBouncer in transaction mode refuses it as a startup parameter (set it on the role).
      ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
      ...(clientTimeout ? { query_timeout: clientTimeout } : {}),
      connectionTimeoutMillis: connectTimeoutMs,
      // Dead peers (a failed-over or partitioned server) are noticed by TCP keepalive, not only by the next query.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'gatehouse',
    },
    pool: {
      min: 0,
      max: poolMax,
      idleTimeoutMillis: 30_000,
      afterCreate: (client: pg.Client, done: (error: Error | null, client: pg.Client) => void) => {
        abandonOnQueryTimeout(client);
        done(null, client);
      },
      validate: isUsableConnection,
    },
    acquireConnectionTimeout: connectTimeoutMs,
    log: logger ? knexLog(logger) : { debug: () => {}, warn: () => {}, error: () => {}, deprecate: () => {} },
  });
  // Whatever a failed connection attempt says (refused, no such database, not accepting connections, timed out), it is an outage.
  (knex.client as { pool?: PoolEvents }).pool?.on('createFail', (_eventId, error) => markConnectionFailure(error));
  return knex;
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = createKnex(options.databaseUrl, options);
    return {
      knex,
      kind: 'postgres',
      description: `Postgres at ${redactUrl(options.databaseUrl)}`,
      connection: options.databaseUrl,
      close: () => knex.destroy(),
    };
  }
  const embedded: EmbeddedPostgres = await openEmbeddedPostgres(options.dataDir, { exclusive: options.exclusive });
  // PGlite runs one statement at a time; a small pool is plenty and leaves room for the CLI. It is in
  // this process behind a local socket: no network path to lose, and it enforces no statement_timeout,
  // so a default client-side timeout would only cut off slow but healthy work queued behind a statement.
  const knex = createKnex(embedded.connection, { ...options, poolMax: Math.min(options.poolMax, 8), clientTimeoutByDefault: false });
  return {
    knex,
    kind: 'embedded',
    description: `embedded database in ${options.dataDir}`,
    connection: embedded.connection,
    async close() {
      await knex.destroy();
      await embedded.close();
    },
  };
}
