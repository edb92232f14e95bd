// The oidc_models table: every artefact oidc-provider persists (sessions, grants, codes, refresh
// tokens, ...), one row per model instance, with the columns the adapter searches by.
import type { Knex } from 'knex';

export interface ModelRow {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  client_id: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
}

export type ModelWrite = Omit<ModelRow, 'consumed_at'>;

export type LookupColumn = 'uid' | 'user_code';

export interface ConsumeResult {
  /** True when this call consumed the row; false when it was already consumed (or is gone). */
  consumed: boolean;
  consumedAt: Date | null;
  grantId: string | null;
}

const TABLE = 'oidc_models';

// The statements every sign-in, code exchange, refresh and userinfo call runs, as fixed text: knex's
// query builder costs about as much client CPU again as the round trip itself (scripts/bench).
const LIVE = '(expires_at IS NULL OR expires_at > CURRENT_TIMESTAMP)';
const WRITE_COLUMNS = ['model', 'id', 'payload', 'grant_id', 'uid', 'user_code', 'account_id', 'client_id', 'expires_at'] as const;
const INSERT = `INSERT INTO ${TABLE} (${WRITE_COLUMNS.join(', ')}) VALUES (${WRITE_COLUMNS.map(() => '?').join(', ')})`;
const SQL = {
  upsert: `${INSERT} ON CONFLICT (model, id) DO UPDATE SET ${WRITE_COLUMNS.slice(2)
    .map((column) => `${column} = EXCLUDED.${column}`)
    .join(', ')}`,
  insertIfAbsent: `${INSERT} ON CONFLICT (model, id) DO NOTHING RETURNING id`,
  updateExisting: `UPDATE ${TABLE} SET ${WRITE_COLUMNS.slice(2)
    .map((column) => `${column} = ?`)
    .join(', ')} WHERE model = ? AND id = ?`,
  find: `SELECT * FROM ${TABLE} WHERE model = ? AND id = ? AND ${LIVE} LIMIT 1`,
  findIncludingExpired: `SELECT * FROM ${TABLE} WHERE model = ? AND id = ? LIMIT 1`,
  findByUid: `SELECT * FROM ${TABLE} WHERE model = ? AND uid = ? AND ${LIVE} LIMIT 1`,
  findByUserCode: `SELECT * FROM ${TABLE} WHERE model = ? AND user_code = ? AND ${LIVE} LIMIT 1`,
  consume: `UPDATE ${TABLE} SET consumed_at = clock_timestamp() WHERE model = ? AND id = ? AND consumed_at IS NULL RETURNING consumed_at, grant_id`,
  consumption: `SELECT consumed_at, grant_id FROM ${TABLE} WHERE model = ? AND id = ? LIMIT 1`,
  destroy: `DELETE FROM ${TABLE} WHERE model = ? AND id = ?`,
} as const;

const writeBindings = (row: ModelWrite) => [row.model, row.id, JSON.stringify(row.payload), row.grant_id, row.uid, row.user_code, row.account_id, row.client_id, row.expires_at];

interface Rows<T> {
  rows: T[];
  rowCount: number | null;
}

export class OidcModelRepository {
  constructor(private readonly knex: Knex) {}

  private readonly notExpired = (q: Knex.QueryBuilder) =>
    q.whereNull('expires_at').orWhere('expires_at', '>', this.knex.fn.now());

  private run<T = ModelRow>(sql: string, bindings: readonly unknown[]): Promise<Rows<T>> {
    return this.knex.raw(sql, bindings as Knex.RawBinding[]) as unknown as Promise<Rows<T>>;
  }

  async upsert(row: ModelWrite): Promise<void> {
    await this.run(SQL.upsert, writeBindings(row));
  }

  /**
   * Upserts a row and, in the same statement, makes another row live at least as long (a grant
   * outliving its newest refresh token): one round trip instead of two on every refresh.
   */
  async upsertExtending(row: ModelWrite, extend: { model: string; id: string; expiresAt: Date }): Promise<void> {
    const exp = Math.floor(extend.expiresAt.getTime() / 1000);
    await this.run(
      `WITH upserted AS (${SQL.upsert})
       UPDATE ${TABLE} SET expires_at = ?, payload = jsonb_set(payload, '{exp}', to_jsonb(?::bigint))
       WHERE model = ? AND id = ? AND (expires_at IS NULL OR expires_at < ?)`,
      [...writeBindings(row), extend.expiresAt, exp, extend.model, extend.id, extend.expiresAt],
    );
  }

  /** Rewrites a row that exists; false (and nothing written) when it is gone. */
  async updateExisting(row: ModelWrite): Promise<boolean> {
    const [model, id, ...rest] = writeBindings(row);
    return ((await this.run(SQL.updateExisting, [...rest, model, id])).rowCount ?? 0) > 0;
  }

  /** Inserts only when absent; false when a row with that id already existed (replay detection). */
  async insertIfAbsent(row: ModelWrite): Promise<boolean> {
    const inserted = await this.run(SQL.insertIfAbsent, writeBindings(row));
    return inserted.rows.length === 1;
  }

  /** A live row; with `includeExpired`, also one past its expiry that the janitor has not removed yet. */
  async find(model: string, id: string, { includeExpired = false } = {}): Promise<ModelRow | undefined> {
    const found = await this.run(includeExpired ? SQL.findIncludingExpired : SQL.find, [model, id]);
    return found.rows[0];
  }

  /**
   * A token's row and, in the same round trip, the live rows the library reads next for it: its
   * grant (by grant_id), its session (by the uid in the payload) and its user (by account_id, as the
   * users table's row in JSON: `user`). Any of them may be absent.
   */
  async findWithRelated(model: string, id: string): Promise<{ row?: ModelRow; grant?: ModelRow; session?: ModelRow; user?: Record<string, unknown> }> {
    const live = (alias: string) => `(${alias}.expires_at IS NULL OR ${alias}.expires_at > CURRENT_TIMESTAMP)`;
    const result = await this.knex.raw<{ rows: (ModelRow & { related: number })[] }>(
      `WITH token AS (SELECT * FROM ${TABLE} t WHERE t.model = ? AND t.id = ? AND ${live('t')} LIMIT 1)
       SELECT 0 AS related, token.* FROM token
       UNION ALL
       SELECT 1, g.* FROM ${TABLE} g JOIN token ON g.model = 'Grant' AND g.id = token.grant_id WHERE ${live('g')}
       UNION ALL
       SELECT 2, s.* FROM ${TABLE} s JOIN token ON s.model = 'Session' AND s.uid = token.payload ->> 'sessionUid' WHERE ${live('s')}
       UNION ALL
       SELECT 3, 'User', u.id::text, to_jsonb(u), NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM users u JOIN token
         ON u.id = CASE WHEN token.account_id ~ '^[0-9a-fA-F-]{36}$' THEN token.account_id::uuid END`,
      [model, id],
    );
    const found: { row?: ModelRow; grant?: ModelRow; session?: ModelRow; user?: Record<string, unknown> } = {};
    for (const { related, ...row } of result.rows) {
      if (related === 0) found.row = row;
      else if (related === 1) found.grant = row;
      else if (related === 2) found.session = row;
      else found.user = row.payload;
    }
    return found;
  }

  async findBy(model: string, column: LookupColumn, value: string): Promise<ModelRow | undefined> {
    const found = await this.run(column === 'uid' ? SQL.findByUid : SQL.findByUserCode, [model, value]);
    return found.rows[0];
  }

  /** Atomic: of any number of concurrent calls for one row, exactly one sees `consumed: true`. */
  async consume(model: string, id: string): Promise<ConsumeResult> {
    type Consumption = Pick<ModelRow, 'consumed_at' | 'grant_id'>;
    const won = (await this.run<Consumption>(SQL.consume, [model, id])).rows;
    if (won.length === 1) {
      return { consumed: true, consumedAt: won[0]!.consumed_at, grantId: won[0]!.grant_id };
    }
    const existing = (await this.run<Consumption>(SQL.consumption, [model, id])).rows[0];
    return { consumed: false, consumedAt: existing?.consumed_at ?? null, grantId: existing?.grant_id ?? null };
  }

  /** Whether there was a row to delete (of two concurrent deletes, exactly one finds it). */
  async destroy(model: string, id: string): Promise<boolean> {
    return ((await this.run(SQL.destroy, [model, id])).rowCount ?? 0) > 0;
  }

  /** Deletes a grant's rows of one model in batches, so a grant with many tokens never holds long locks. */
  async deleteByGrantId(model: string, grantId: string, batchSize = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.knex(TABLE)
        .whereIn(
          ['model', 'id'],
          this.knex(TABLE).select('model', 'id').where({ model, grant_id: grantId }).limit(batchSize),
        )
        .delete();
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  async listByAccount(model: string, accountId: string): Promise<ModelRow[]> {
    return this.knex<ModelRow>(TABLE).where({ model, account_id: accountId }).andWhere(this.notExpired);
  }

  async deleteByClient(model: string, clientId: string): Promise<number> {
    return this.knex(TABLE).where({ model, client_id: clientId }).delete();
  }

  /** Deletes one model's rows of an account (e.g. every session of a disabled user). */
  async deleteByAccount(model: string, accountId: string): Promise<number> {
    return this.knex(TABLE).where({ model, account_id: accountId }).delete();
  }

  async listByAccountAndClient(model: string, accountId: string, clientId: string): Promise<ModelRow[]> {
    return this.knex<ModelRow>(TABLE).where({ model, account_id: accountId, client_id: clientId }).andWhere(this.notExpired);
  }

  /**
   * Rows of `models` whose payload field `field` (a sealed id: {kek, ct}) is sealed under a KEK other
   * than `kekId`, in primary-key order after `after` (for re-encryption in batches).
   */
  async listSealedNotUnder(
    models: readonly string[],
    field: string,
    kekId: string,
    after: { model: string; id: string } | undefined,
    limit: number,
  ): Promise<{ model: string; id: string; sealed: unknown }[]> {
    const query = this.knex(TABLE)
      .whereIn('model', [...models])
      .whereRaw('payload -> ? ->> ? IS DISTINCT FROM ?', [field, 'kek', kekId])
      .whereRaw('payload -> ? IS NOT NULL', [field])
      .orderBy(['model', 'id'])
      .limit(limit)
      .select('model', 'id', this.knex.raw('payload -> ? AS sealed', [field]));
    if (after) query.andWhereRaw('(model, id) > (?, ?)', [after.model, after.id]);
    return query;
  }

  /** Replaces a sealed field, unless the row was rewritten meanwhile (then false: it is current anyway). */
  async replaceSealed(model: string, id: string, field: string, expected: unknown, replacement: unknown): Promise<boolean> {
    const updated = await this.knex(TABLE)
      .where({ model, id })
      .whereRaw('payload -> ? = ?::jsonb', [field, JSON.stringify(expected)])
      .update({ payload: this.knex.raw('jsonb_set(payload, ?, ?::jsonb)', [`{${field}}`, JSON.stringify(replacement)]) });
    return updated === 1;
  }

  /** The KEK ids sealed fields are still under. */
  async sealedKekIds(models: readonly string[], field: string): Promise<string[]> {
    const rows = (await this.knex(TABLE)
      .whereIn('model', [...models])
      .whereRaw('payload -> ? IS NOT NULL', [field])
      .distinct(this.knex.raw('payload -> ? ->> ? AS kek', [field, 'kek']))) as { kek: string }[];
    return rows.map((r) => r.kek);
  }
}
