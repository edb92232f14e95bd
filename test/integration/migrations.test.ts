// Migrations go up, down and up again cleanly, and instances starting at once migrate safely.
import { expect } from 'chai';
import type { Knex } from 'knex';

import { createKnex } from '../../src/db/database.js';
import { migrateDown, migrateLatest, migrationStatus } from '../../src/db/migrate.js';
import { migrations } from '../../migrations/index.js';
import { availableKinds, createTestDatabase } from '../helpers/test-database.js';

const TABLES = ['oidc_models', 'clients', 'client_secrets', 'client_apis', 'apis', 'api_scopes', 'users', 'consents', 'signing_keys', 'token_revocations', 'change_events', 'audit_events', 'rate_limits'];

async function tablesIn(knex: Knex): Promise<string[]> {
  const { rows } = (await knex.raw("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) as { rows: { tablename: string }[] };
  return rows.map((r) => r.tablename);
}

for (const kind of availableKinds()) {
  describe(`migrations (${kind})`, function () {
    this.timeout(60_000);

    it('go up, down and up again', async () => {
      const testDb = await createTestDatabase({ kind, migrate: false });
      try {
        const { knex } = testDb.database;
        expect((await migrationStatus(knex)).pending).to.have.length(migrations.length);
        await migrateLatest(knex, { serialise: kind === 'postgres' });
        expect(await tablesIn(knex)).to.include.members(TABLES);
        expect((await migrationStatus(knex)).pending).to.deep.equal([]);
        await migrateDown(knex);
        const afterDown = await tablesIn(knex);
        for (const table of TABLES) expect(afterDown).to.not.include(table);
        await migrateLatest(knex, { serialise: kind === 'postgres' });
        expect(await tablesIn(knex)).to.include.members(TABLES);
      } finally {
        await testDb.drop();
      }
    });
  });
}

describe('migrations from several instances at once', function () {
  this.timeout(60_000);

  it('apply exactly once when four instances start together (Postgres server)', async function () {
    if (!availableKinds().includes('postgres')) this.skip();
    const testDb = await createTestDatabase({ kind: 'postgres', migrate: false });
    const instances = Array.from({ length: 4 }, () => createKnex(testDb.url!, { poolMax: 3, statementTimeoutMs: 30_000, connectTimeoutMs: 5_000 }));
    try {
      const applied = await Promise.all(instances.map((knex) => migrateLatest(knex, { serialise: true })));
      expect(applied.flat()).to.have.length(migrations.length);
      const { rows } = (await instances[0]!.raw('SELECT count(*)::int AS n FROM knex_migrations')) as { rows: { n: number }[] };
      expect(rows[0]!.n).to.equal(migrations.length);
    } finally {
      await Promise.all(instances.map((knex) => knex.destroy()));
      await testDb.drop();
    }
  });
});
