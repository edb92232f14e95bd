// The registration_tokens table: initial access tokens for dynamic client registration (RFC 7591
// §3), stored only as keyed hashes, with an expiry and an optional number of uses.
import type { Knex } from 'knex';

import { isUuid } from './apis.js';
import { applyKeyset, toPage, type Page, type PageRequest } from './keyset-page.js';

export interface RegistrationTokenRecord {
  id: string;
  description: string | null;
  expiresAt: Date;
  maxUses: number | null;
  uses: number;
  revokedAt: Date | null;
  createdAt: Date;
}

interface RegistrationTokenRow {
  id: string;
  token_hash: string;
  description: string | null;
  expires_at: Date;
  max_uses: number | null;
  uses: number;
  revoked_at: Date | null;
  created_at: Date;
}

export class RegistrationTokenRepository {
  constructor(private readonly knex: Knex) {}

  async create(token: { tokenHash: string; description: string | null; expiresAt: Date; maxUses: number | null }): Promise<RegistrationTokenRecord> {
    const [row] = (await this.knex('registration_tokens')
      .insert({ token_hash: token.tokenHash, description: token.description, expires_at: token.expiresAt, max_uses: token.maxUses })
      .returning('*')) as RegistrationTokenRow[];
    return toRecord(row!);
  }

  async findById(id: string): Promise<RegistrationTokenRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.knex<RegistrationTokenRow>('registration_tokens').where({ id }).first();
    return row && toRecord(row);
  }

  async listPage(page: PageRequest, filter: { active?: boolean | undefined } = {}): Promise<Page<RegistrationTokenRecord>> {
    const query = this.knex('registration_tokens').select('registration_tokens.*');
    if (filter.active !== undefined) {
      const active = (q: Knex.QueryBuilder) =>
        q.whereNull('revoked_at').where('expires_at', '>', this.knex.fn.now()).where((u) => u.whereNull('max_uses').orWhereRaw('uses < max_uses'));
      if (filter.active) query.where(active);
      else query.whereNot(active);
    }
    applyKeyset(this.knex, query, { createdAt: 'registration_tokens.created_at', id: 'registration_tokens.id' }, page);
    const rows = (await query) as (RegistrationTokenRow & Record<string, unknown>)[];
    return toPage(rows, page, (row) => row.id, (kept) => kept.map(toRecord));
  }

  /**
   * Atomically takes one use of a valid token: of any number of concurrent registrations, no more
   * than max_uses succeed. Returns the token's id, or undefined if it is unknown, expired, revoked or used up.
   */
  async takeUse(tokenHash: string): Promise<string | undefined> {
    const [row] = (await this.knex('registration_tokens')
      .where({ token_hash: tokenHash })
      .whereNull('revoked_at')
      .where('expires_at', '>', this.knex.fn.now())
      .where((q) => q.whereNull('max_uses').orWhereRaw('uses < max_uses'))
      .increment('uses', 1)
      .returning('id')) as { id: string }[];
    return row?.id;
  }

  /** Gives back a use taken for a registration that then failed. */
  async returnUse(id: string): Promise<void> {
    await this.knex('registration_tokens').where({ id }).where('uses', '>', 0).decrement('uses', 1);
  }

  async revoke(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.knex('registration_tokens').where({ id }).update({ revoked_at: this.knex.fn.now() })) > 0;
  }
}

function toRecord(row: RegistrationTokenRow): RegistrationTokenRecord {
  return {
    id: row.id,
    description: row.description,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}
