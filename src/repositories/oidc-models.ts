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

export class OidcModelRepository {
  constructor(private readonly knex: Knex) {}

  private readonly notExpired = (q: Knex.QueryBuilder) =>
    q.whereNull('expires_at').orWhere('expires_at', '>', this.knex.fn.now());

  async upsert(row: ModelWrite): Promise<void> {
    await this.knex(TABLE)
      .insert({ ...row, payload: JSON.stringify(row.payload) })
      .onConflict(['model', 'id'])
      .merge(['payload', 'grant_id', 'uid', 'user_code', 'account_id', 'client_id', 'expires_at']);
  }

  /** Inserts only when absent; false when a row with that id already existed (replay detection). */
  async insertIfAbsent(row: ModelWrite): Promise<boolean> {
    const inserted = await this.knex(TABLE)
      .insert({ ...row, payload: JSON.stringify(row.payload) })
      .onConflict(['model', 'id'])
      .ignore()
      .returning('id');
    return inserted.length === 1;
  }

  async find(model: string, id: string): Promise<ModelRow | undefined> {
    return this.knex<ModelRow>(TABLE).where({ model, id }).andWhere(this.notExpired).first();
  }

  async findBy(model: string, column: LookupColumn, value: string): Promise<ModelRow | undefined> {
    return this.knex<ModelRow>(TABLE).where({ model, [column]: value }).andWhere(this.notExpired).first();
  }

  /** Atomic: of any number of concurrent calls for one row, exactly one sees `consumed: true`. */
  async consume(model: string, id: string): Promise<ConsumeResult> {
    const won = await this.knex<ModelRow>(TABLE)
      .where({ model, id })
      .whereNull('consumed_at')
      .update({ consumed_at: this.knex.raw('clock_timestamp()') })
      .returning(['consumed_at', 'grant_id']);
    if (won.length === 1) {
      return { consumed: true, consumedAt: won[0]!.consumed_at, grantId: won[0]!.grant_id };
    }
    const existing = await this.knex<ModelRow>(TABLE).where({ model, id }).first('consumed_at', 'grant_id');
    return { consumed: false, consumedAt: existing?.consumed_at ?? null, grantId: existing?.grant_id ?? null };
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.knex(TABLE).where({ model, id }).delete();
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

  /** Moves a grant's expiry (row and payload) forward to at least `expiresAt`. */
  async extendExpiry(model: string, id: string, expiresAt: Date): Promise<void> {
    const exp = Math.floor(expiresAt.getTime() / 1000);
    await this.knex(TABLE)
      .where({ model, id })
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '<', expiresAt))
      .update({
        expires_at: expiresAt,
        payload: this.knex.raw("jsonb_set(payload, '{exp}', to_jsonb(?::bigint))", [exp]),
      });
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
}
