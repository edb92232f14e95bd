// The janitor removes exactly the rows nobody needs (expired, long-used, past retention) in batches,
// through indexes, one instance at a time, within a time budget; and `gatehouse janitor` runs it.
import { expect } from 'chai';
import type { Knex } from 'knex';

import type { JanitorConfig } from '../../src/config/operations-config.js';
import { HousekeepingRepository, JANITOR_LOCK_KEY, sweepsFor } from '../../src/repositories/housekeeping.js';
import { Janitor } from '../../src/services/janitor.js';
import { cli } from '../helpers/cli.js';
import { availableKinds, createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { testEnv } from '../helpers/test-config.js';

const HOUR = 3600_000;
const ago = (ms: number) => new Date(Date.now() - ms);
const ahead = (ms: number) => new Date(Date.now() + ms);

const settings: JanitorConfig = {
  intervalSeconds: 0,
  batchSize: 2,
  statementTimeoutMs: 5000,
  maxRunMs: 60_000,
  consumedRetentionSeconds: 3600,
  changeEventRetentionSeconds: 3600,
  auditRetentionSeconds: 24 * 3600,
};

async function seed(knex: Knex, tag: string): Promise<void> {
  const model = (id: string, extra: Record<string, unknown>) => ({ model: 'RefreshToken', id: `${tag}-${id}`, payload: '{}', ...extra });
  await knex('oidc_models').insert([
    model('expired-1', { expires_at: ago(1000) }),
    model('expired-2', { expires_at: ago(HOUR) }),
    model('expired-3', { expires_at: ago(10) }),
    model('live', { expires_at: ahead(HOUR) }),
    model('no-expiry', { expires_at: null }),
    model('used-long-ago', { expires_at: ahead(HOUR), consumed_at: ago(2 * HOUR) }),
    model('used-just-now', { expires_at: ahead(HOUR), consumed_at: ago(1000) }),
  ]);
  await knex('token_revocations').insert([
    { kind: 'jti', value: `${tag}-old`, expires_at: ago(1000) },
    { kind: 'grant', value: `${tag}-old`, expires_at: ago(HOUR) },
    { kind: 'jti', value: `${tag}-live`, expires_at: ahead(HOUR) },
  ]);
  await knex('change_events').insert([
    { topic: 'client', key: `${tag}-old`, created_at: ago(2 * HOUR) },
    { topic: 'client', key: `${tag}-new`, created_at: ago(1000) },
  ]);
  await knex('rate_limits').insert([
    { key: `${tag}-old`, points: 3, expire: Date.now() - 1000 },
    { key: `${tag}-live`, points: 3, expire: Date.now() + HOUR },
    { key: `${tag}-forever`, points: 3, expire: null },
  ]);
  await knex('audit_events').insert([
    { occurred_at: ago(48 * HOUR), type: 'login.success', outcome: 'success', client_id: tag },
    { occurred_at: ago(30 * HOUR), type: 'login.success', outcome: 'success', client_id: tag },
    { occurred_at: ago(HOUR), type: 'login.success', outcome: 'success', client_id: tag },
  ]);
}

for (const kind of availableKinds()) {
  describe(`janitor (${kind})`, () => {
    let testDb: TestDatabase;
    let knex: Knex;
    let store: HousekeepingRepository;

    before(async () => {
      testDb = await createTestDatabase({ kind });
      knex = testDb.database.knex;
      store = new HousekeepingRepository(knex);
    });
    after(async () => testDb?.drop());

    it('removes expired, long-used and out-of-retention rows in batches, and nothing else', async () => {
      await seed(knex, 'a');
      const report = await new Janitor(store, { ...settings, serialise: kind === 'postgres' }).runOnce();
      expect(report.skipped).to.equal(false);
      expect(report.complete).to.equal(true);
      expect(report.deleted).to.deep.equal({ oidc_models: 4, token_revocations: 2, change_events: 1, rate_limits: 1, audit_events: 2 });
      expect((await knex('oidc_models').select('id').orderBy('id')).map((r: { id: string }) => r.id)).to.deep.equal(['a-live', 'a-no-expiry', 'a-used-just-now']);
      expect((await knex('token_revocations').select('value')).map((r: { value: string }) => r.value)).to.deep.equal(['a-live']);
      expect((await knex('change_events').select('key')).map((r: { key: string }) => r.key)).to.deep.equal(['a-new']);
      expect((await knex('rate_limits').select('key').orderBy('key')).map((r: { key: string }) => r.key)).to.deep.equal(['a-forever', 'a-live']);
      expect(await store.count('audit_events')).to.equal(1);

      // Nothing more to do on a second run.
      const again = await new Janitor(store, { ...settings, serialise: kind === 'postgres' }).runOnce();
      expect(Object.values(again.deleted).every((n) => n === 0)).to.equal(true);
    });

    it('keeps an expired device code for ten minutes, so that a device polling late is told expired_token', async () => {
      const MINUTE = 60_000;
      await knex('oidc_models').insert([
        { model: 'DeviceCode', id: 'dc-recent', payload: '{}', expires_at: ago(MINUTE) },
        { model: 'DeviceCode', id: 'dc-old', payload: '{}', expires_at: ago(11 * MINUTE) },
        { model: 'AccessToken', id: 'at-recent', payload: '{}', expires_at: ago(MINUTE) },
      ]);
      await new Janitor(store, { ...settings, serialise: kind === 'postgres' }).runOnce();
      const left = (await knex('oidc_models').whereIn('id', ['dc-recent', 'dc-old', 'at-recent']).select('id')).map((r: { id: string }) => r.id);
      expect(left).to.deep.equal(['dc-recent']);
      await knex('oidc_models').where({ id: 'dc-recent' }).delete();
    });

    it('keeps audit events for ever when retention is 0', async () => {
      await knex('audit_events').insert({ occurred_at: ago(1000 * HOUR), type: 'login.success', outcome: 'success', client_id: 'forever' });
      await new Janitor(store, { ...settings, auditRetentionSeconds: 0, serialise: kind === 'postgres' }).runOnce();
      expect(await knex('audit_events').where({ client_id: 'forever' }).first()).to.not.equal(undefined);
      await knex('audit_events').where({ client_id: 'forever' }).delete();
    });

    it('stops when its time budget is used up, and the next run continues', async () => {
      const rows = Array.from({ length: 30 }, (_, i) => ({ model: 'Session', id: `budget-${i}`, payload: '{}', expires_at: ago(1000) }));
      await knex('oidc_models').insert(rows);
      const janitor = new Janitor(store, { ...settings, batchSize: 1, maxRunMs: 1, serialise: kind === 'postgres' });
      const first = await janitor.runOnce();
      expect(first.complete).to.equal(false);
      expect(first.deleted.oidc_models).to.be.lessThan(30);
      let total = first.deleted.oidc_models;
      for (let i = 0; i < 200 && total < 30; i += 1) total += (await janitor.runOnce()).deleted.oidc_models;
      expect(total).to.equal(30);
      expect(await knex('oidc_models').where('id', 'like', 'budget-%').first()).to.equal(undefined);
    });

    if (kind === 'postgres') {
      it('picks every batch through an index (no sequential scan)', async () => {
        const sweeps = sweepsFor({ consumedBefore: new Date(), expiredDeviceCodesBefore: new Date(), changeEventsBefore: new Date(), auditEventsBefore: new Date() });
        expect(sweeps.map((s) => s.name)).to.have.members(['oidc_models.expired', 'oidc_models.consumed', 'token_revocations', 'change_events', 'rate_limits', 'audit_events']);
        for (const sweep of sweeps) {
          const plan = await store.explainBatch(sweep, 1000);
          expect(plan, `${sweep.name}:\n${plan}`).to.match(/Index (Only )?Scan|Bitmap Index Scan/);
          expect(plan, `${sweep.name}:\n${plan}`).to.not.include('Seq Scan');
        }
      });

      it('does nothing while another instance holds the lock', async () => {
        await seed(knex, 'b');
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        // "Another instance": a transaction on its own connection holding the janitor's lock.
        const other = knex.transaction(async (trx) => {
          await trx.raw('SELECT pg_advisory_xact_lock(?)', [JANITOR_LOCK_KEY]);
          locked();
          await held;
        });
        await isLocked;
        const skipped = await new Janitor(store, { ...settings, serialise: true }).runOnce();
        expect(skipped.skipped).to.equal(true);
        expect(Object.values(skipped.deleted).every((n) => n === 0)).to.equal(true);
        expect(await knex('oidc_models').where('id', 'b-expired-1').first()).to.not.equal(undefined);
        release();
        await other;
        const ran = await new Janitor(store, { ...settings, serialise: true }).runOnce();
        expect(ran.skipped).to.equal(false);
        expect(ran.deleted.oidc_models).to.equal(4);
      });

      it('runs by hand: gatehouse janitor --json', async () => {
        await seed(knex, 'c');
        const outcome = await cli(['janitor', '--json'], testEnv({ DATABASE_URL: testDb.url }));
        expect(outcome.code, outcome.stderr).to.equal(0);
        const result = JSON.parse(outcome.stdout) as { skipped: boolean; deleted: Record<string, number> };
        expect(result.skipped).to.equal(false);
        // Three expired rows; the token used two hours ago stays (JANITOR_CONSUMED_RETENTION_SECONDS defaults to a day).
        expect(result.deleted.oidc_models).to.equal(3);
        expect(result.deleted.token_revocations).to.equal(2);
      });
    }
  });
}
