// The signing_keys table: every instance signs with the same keys; private halves encrypted at rest.
import type { Knex } from 'knex';

export type KeyState = 'next' | 'current' | 'retired';

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  state: KeyState;
  publicJwk: Record<string, unknown>;
  privateJwkEncrypted: string;
  kekId: string;
  createdAt: Date;
  activatesAt: Date;
  retiredAt: Date | null;
  removeAfter: Date | null;
}

interface KeyRow {
  kid: string;
  alg: string;
  state: KeyState;
  public_jwk: Record<string, unknown>;
  private_jwk_encrypted: string;
  kek_id: string;
  created_at: Date;
  activates_at: Date;
  retired_at: Date | null;
  remove_after: Date | null;
}

const UNIQUE_VIOLATION = '23505';

export class SigningKeyRepository {
  constructor(private readonly knex: Knex) {}

  async list(): Promise<SigningKeyRecord[]> {
    const rows = await this.knex<KeyRow>('signing_keys').orderBy('created_at').orderBy('kid');
    return rows.map(toRecord);
  }

  /** Inserts a key; false when another instance created the current key for this alg first. */
  async insert(key: Omit<SigningKeyRecord, 'createdAt'>): Promise<boolean> {
    try {
      await this.knex('signing_keys').insert({
        kid: key.kid,
        alg: key.alg,
        state: key.state,
        public_jwk: JSON.stringify(key.publicJwk),
        private_jwk_encrypted: key.privateJwkEncrypted,
        kek_id: key.kekId,
        activates_at: key.activatesAt,
        retired_at: key.retiredAt,
        remove_after: key.removeAfter,
      });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }
}

function toRecord(row: KeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    state: row.state,
    publicJwk: row.public_jwk,
    privateJwkEncrypted: row.private_jwk_encrypted,
    kekId: row.kek_id,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    retiredAt: row.retired_at,
    removeAfter: row.remove_after,
  };
}
