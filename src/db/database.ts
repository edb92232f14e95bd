// Opens the database Gatehouse stores everything in: a Postgres server (DATABASE_URL) or the
// embedded PGlite database in the data directory. Both are reached through knex + pg.
import knexFactory, { type Knex } from 'knex';

import { openEmbeddedPostgres, type EmbeddedPostgres, type SocketConnection } from './embedded-postgres.js';

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
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

export function createKnex(
  connection: string | SocketConnection,
  { poolMax, statementTimeoutMs, connectTimeoutMs }: Pick<DatabaseOptions, 'poolMax' | 'statementTimeoutMs' | 'connectTimeoutMs'>,
): Knex {
  const base = typeof connection === 'string' ? { connectionString: connection } : connection;
  return knexFactory({
    client: 'pg',
    connection: {
      ...base,
      // 0 sends none: PgBouncer in transaction mode refuses it as a startup parameter (set it on the role).
      ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
      connectionTimeoutMillis: connectTimeoutMs,
      // Dead peers (a failed-over or partitioned server) are noticed by TCP keepalive, not only by the next query.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'gatehouse',
    },
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: connectTimeoutMs,
  });
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
  // PGlite runs one statement at a time; a small pool is plenty and leaves room for the CLI.
  const knex = createKnex(embedded.connection, { ...options, poolMax: Math.min(options.poolMax, 8) });
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
