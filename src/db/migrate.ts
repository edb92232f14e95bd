// Runs the knex migrations. On a Postgres server an advisory lock serialises instances that start
// at once: the first migrates, the others wait and then find nothing to do.
import type { Knex } from 'knex';

import { migrations, type Migration } from '../../migrations/index.js';

const MIGRATION_LOCK_KEY = 0x6761_7465; // "gate"

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

export async function migrationStatus(knex: Knex): Promise<MigrationStatus> {
  const [completed, pending] = (await knex.migrate.list({ migrationSource: source })) as [
    { name: string }[],
    Migration[],
  ];
  return { applied: completed.map((m) => m.name), pending: pending.map((m) => m.name) };
}

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrateLatest(knex: Knex, { serialise }: { serialise: boolean }): Promise<string[]> {
  const run = async () => {
    const [, applied] = (await knex.migrate.latest({ migrationSource: source })) as [number, string[]];
    return applied;
  };
  if (!serialise) return run();
  // The transaction holds the lock (works through PgBouncer in transaction mode); the migrations run
  // on other pool connections meanwhile.
  return knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    return run();
  });
}

export async function migrateDown(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource: source }, true);
}
