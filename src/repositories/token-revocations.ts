// The token_revocations table: JWT access tokens cannot be deleted, so revoking one (or its whole
// grant) records its jti (or grant id) here until the last token it covers has expired.
import type { Knex } from 'knex';

export type RevocationKind = 'jti' | 'grant';

export interface Revocation {
  kind: RevocationKind;
  value: string;
  expiresAt: Date;
}

interface RevocationRow {
  kind: RevocationKind;
  value: string;
  expires_at: Date;
}

export class TokenRevocationRepository {
  constructor(private readonly knex: Knex) {}

  async insert(revocation: Revocation, trx: Knex | Knex.Transaction = this.knex): Promise<void> {
    await trx('token_revocations')
      .insert({ kind: revocation.kind, value: revocation.value, expires_at: revocation.expiresAt })
      .onConflict(['kind', 'value'])
      .merge({ expires_at: trx.raw('GREATEST(token_revocations.expires_at, EXCLUDED.expires_at)') });
  }

  async listActive(): Promise<Revocation[]> {
    const rows = await this.knex<RevocationRow>('token_revocations').where('expires_at', '>', this.knex.fn.now());
    return rows.map((r) => ({ kind: r.kind, value: r.value, expiresAt: r.expires_at }));
  }

  async deleteExpired(batchSize = 5000): Promise<number> {
    return this.knex('token_revocations')
      .whereIn(
        ['kind', 'value'],
        this.knex('token_revocations').select('kind', 'value').where('expires_at', '<', this.knex.fn.now()).limit(batchSize),
      )
      .delete();
  }
}
