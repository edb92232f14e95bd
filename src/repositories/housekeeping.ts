// The janitor's queries: batched deletes of rows nobody needs any more, each batch its own short
// transaction under a bounded statement timeout, and the advisory lock that lets one instance at a
// time do this. Every predicate here is served by an index (see the janitor test's EXPLAIN check).
import type { Knex } from 'knex';

/** What one sweep removes: rows of `table` matching `where`, picked `batchSize` at a time by primary key. */
export interface Sweep {
  name: SweepName;
  table: string;
  key: string[];
  where(knex: Knex, builder: Knex.QueryBuilder): Knex.QueryBuilder;
}

export type SweepName = 'oidc_models.expired' | 'oidc_models.consumed' | 'token_revocations' | 'change_events' | 'rate_limits' | 'audit_events';

export interface SweepCutoffs {
  consumedBefore: Date;
  expiredDeviceCodesBefore: Date;
  changeEventsBefore: Date;
  /** Undefined: audit events are kept for ever. */
  auditEventsBefore: Date | undefined;
}

export const JANITOR_LOCK_KEY = 0x6761_7465_6a61; // "gateja"

export function sweepsFor(cutoffs: SweepCutoffs): Sweep[] {
  const sweeps: Sweep[] = [
    {
      name: 'oidc_models.expired',
      table: 'oidc_models',
      key: ['model', 'id'],
      // Device codes stay a while past expiry, so that a device still polling is told expired_token.
      where: (knex, q) =>
        q.where('expires_at', '<', knex.fn.now()).andWhere((inner) => inner.whereNot('model', 'DeviceCode').orWhere('expires_at', '<', cutoffs.expiredDeviceCodesBefore)),
    },
    {
      // Kept a while after use so that a second use is recognised as reuse (and the grant revoked).
      name: 'oidc_models.consumed',
      table: 'oidc_models',
      key: ['model', 'id'],
      where: (_knex, q) => q.where('consumed_at', '<', cutoffs.consumedBefore),
    },
    {
      name: 'token_revocations',
      table: 'token_revocations',
      key: ['kind', 'value'],
      where: (knex, q) => q.where('expires_at', '<', knex.fn.now()),
    },
    {
      name: 'change_events',
      table: 'change_events',
      key: ['id'],
      where: (_knex, q) => q.where('created_at', '<', cutoffs.changeEventsBefore),
    },
    {
      // rate-limiter-flexible stores `expire` as epoch milliseconds; NULL never expires.
      name: 'rate_limits',
      table: 'rate_limits',
      key: ['key'],
      // A constant (not clock_timestamp(), which is volatile) so the index on expire is used.
      where: (_knex, q) => q.where('expire', '<', Date.now()),
    },
  ];
  if (cutoffs.auditEventsBefore) {
    const before = cutoffs.auditEventsBefore;
    sweeps.push({ name: 'audit_events', table: 'audit_events', key: ['id'], where: (_knex, q) => q.where('occurred_at', '<', before) });
  }
  return sweeps;
}

export class HousekeepingRepository {
  constructor(private readonly knex: Knex) {}

  /**
   * Runs `work` while holding the janitor's advisory lock, or returns undefined at once when another
   * instance holds it. The lock is transaction-scoped (works through PgBouncer in transaction mode);
   * the work itself runs on other pool connections, in short transactions of its own.
   */
  async withLock<T>(work: () => Promise<T>): Promise<T | undefined> {
    return this.knex.transaction(async (trx) => {
      const { rows } = (await trx.raw('SELECT pg_try_advisory_xact_lock(?) AS locked', [JANITOR_LOCK_KEY])) as { rows: { locked: boolean }[] };
      if (!rows[0]?.locked) return undefined;
      return work();
    });
  }

  /** Deletes up to `batchSize` rows matching the sweep; returns how many went. */
  async deleteBatch(sweep: Sweep, batchSize: number, statementTimeoutMs: number): Promise<number> {
    return this.knex.transaction(async (trx): Promise<number> => {
      await trx.raw('SELECT set_config(?, ?, true)', ['statement_timeout', String(statementTimeoutMs)]);
      const picked = sweep.where(trx, trx(sweep.table).select(...sweep.key)).limit(batchSize);
      const target = trx(sweep.table);
      if (sweep.key.length === 1) target.whereIn(sweep.key[0]!, picked);
      else target.whereIn(sweep.key, picked);
      return target.delete();
    });
  }

  /** The plan Postgres would use to pick a batch (for the test that every sweep uses an index). */
  async explainBatch(sweep: Sweep, batchSize: number): Promise<string> {
    return this.knex.transaction(async (trx) => {
      await trx.raw('SET LOCAL enable_seqscan = off');
      const picked = sweep.where(trx, trx(sweep.table).select(...sweep.key)).limit(batchSize);
      const { rows } = (await trx.raw(`EXPLAIN ${picked.toQuery()}`)) as { rows: { 'QUERY PLAN': string }[] };
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  async count(table: string): Promise<number> {
    const [row] = (await this.knex(table).count({ n: '*' })) as { n: string | number }[];
    return Number(row?.n ?? 0);
  }
}
