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

/** A transaction holding the key-set lock (see withLock). */
export type KeyTransaction = Knex.Transaction;

export type NewSigningKey = Omit<SigningKeyRecord, 'createdAt'>;

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
const TABLE = 'signing_keys';
// Serialises every change to the key set across instances and the CLI ("keys" in ASCII).
const KEY_LOCK = 0x6b65_7973;

export class SigningKeyRepository {
  constructor(private readonly knex: Knex) {}

  async list(trx: Knex | Knex.Transaction = this.knex): Promise<SigningKeyRecord[]> {
    const rows = await trx<KeyRow>(TABLE).orderBy('activates_at').orderBy('kid');
    return rows.map(toRecord);
  }

  /**
   * Runs `work` in a transaction holding the key-set lock: of several instances (and the CLI) deciding
   * at once to rotate or to persist a transition, one decides and the others then see its result.
   */
  async withLock<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [KEY_LOCK]);
      return work(trx);
    });
  }

  /** Inserts a key; false when another instance created a key of that state for this alg first. */
  async insert(key: NewSigningKey, trx: Knex | Knex.Transaction = this.knex): Promise<boolean> {
    try {
      // A savepoint inside a transaction, so a lost race does not abort the caller's transaction.
      const write = async (db: Knex | Knex.Transaction) =>
        db(TABLE).insert({
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
      if (trx.isTransaction) await (trx as Knex.Transaction).transaction(write);
      else await write(trx);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }

  async setState(kid: string, state: KeyState, trx: Knex.Transaction): Promise<void> {
    await trx(TABLE).where({ kid }).update({ state });
  }

  async setActivation(kid: string, activatesAt: Date, trx: Knex.Transaction): Promise<void> {
    await trx(TABLE).where({ kid }).update({ activates_at: activatesAt });
  }

  async scheduleRetirement(kid: string, retiredAt: Date, removeAfter: Date, trx: Knex.Transaction): Promise<void> {
    await trx(TABLE).where({ kid }).update({ retired_at: retiredAt, remove_after: removeAfter });
  }

  /** Only ever moves removal later. */
  async postponeRemoval(kid: string, removeAfter: Date, trx: Knex.Transaction): Promise<void> {
    await trx(TABLE).where({ kid }).andWhere('remove_after', '<', removeAfter).update({ remove_after: removeAfter });
  }

  async delete(kid: string, trx: Knex.Transaction): Promise<void> {
    await trx(TABLE).where({ kid }).delete();
  }

  /** Replaces a key's ciphertext, unless someone else re-encrypted it first (then false). */
  async reencrypt(kid: string, fromKekId: string, sealed: { kekId: string; ciphertext: string }): Promise<boolean> {
    const updated = await this.knex(TABLE)
      .where({ kid, kek_id: fromKekId })
      .update({ kek_id: sealed.kekId, private_jwk_encrypted: sealed.ciphertext });
    return updated === 1;
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
