// A fresh database per test suite: a new database on the Postgres server named by TEST_DATABASE_URL
// (or DATABASE_URL), or else a throwaway in-memory embedded database. Dropped afterwards.
import { randomBytes } from 'node:crypto';

import knexFactory from 'knex';

import { createKnex, type Database } from '../../src/db/database.js';
import { openEphemeralPostgres } from '../../src/db/embedded-postgres.js';
import { migrateLatest } from '../../src/db/migrate.js';

export interface TestDatabase {
  database: Database;
  /** Set for a Postgres server: the URL of this test's own database. */
  url: string | undefined;
  drop(): Promise<void>;
}

export type DatabaseKind = 'postgres' | 'embedded';

export function serverUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

export function availableKinds(): DatabaseKind[] {
  return serverUrl() ? ['postgres', 'embedded'] : ['embedded'];
}

export function defaultKind(): DatabaseKind {
  return serverUrl() ? 'postgres' : 'embedded';
}

const poolSettings = { poolMax: 10, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 };

export async function createTestDatabase({ kind = defaultKind(), migrate = true } = {}): Promise<TestDatabase> {
  const testDb = kind === 'postgres' ? await createPostgresDatabase() : await createEmbeddedDatabase();
  if (migrate) await migrateLatest(testDb.database.knex, { serialise: kind === 'postgres' });
  return testDb;
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const adminUrl = serverUrl();
  if (!adminUrl) throw new Error('no Postgres server configured (TEST_DATABASE_URL)');
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const knex = createKnex(url.toString(), poolSettings);
  const database: Database = {
    knex,
    kind: 'postgres',
    description: `test database ${name}`,
    connection: url.toString(),
    close: () => knex.destroy(),
  };
  return {
    database,
    url: url.toString(),
    async drop() {
      await knex.destroy();
      const cleanup = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
      await cleanup.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.destroy();
    },
  };
}

async function createEmbeddedDatabase(): Promise<TestDatabase> {
  const embedded = await openEphemeralPostgres();
  const knex = createKnex(embedded.connection, { ...poolSettings, poolMax: 4 });
  const database: Database = {
    knex,
    kind: 'embedded',
    description: 'in-memory embedded test database',
    connection: embedded.connection,
    close: () => knex.destroy(),
  };
  return {
    database,
    url: undefined,
    async drop() {
      await knex.destroy();
      await embedded.close();
    },
  };
}
