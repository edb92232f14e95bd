// Two-step sign-in data of users: the sealed TOTP secret (and one being enrolled), the last accepted
// time step, and the hashed one-time recovery codes.
import type { Knex } from 'knex';

import type { Sealed } from '../services/key-encryption.js';

export interface TotpState {
  secret: Sealed | undefined;
  pending: Sealed | undefined;
  enabledAt: Date | null;
  lastStep: number | null;
}

interface TotpRow {
  totp_secret_sealed: string | null;
  totp_secret_kek_id: string | null;
  totp_pending_sealed: string | null;
  totp_pending_kek_id: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: string | number | null;
}

const sealed = (ciphertext: string | null, kekId: string | null): Sealed | undefined => (ciphertext && kekId ? { ciphertext, kekId } : undefined);

export class TwoStepRepository {
  constructor(private readonly knex: Knex) {}

  async state(userId: string): Promise<TotpState | undefined> {
    const row = (await this.knex('users')
      .select('totp_secret_sealed', 'totp_secret_kek_id', 'totp_pending_sealed', 'totp_pending_kek_id', 'totp_enabled_at', 'totp_last_step')
      .where({ id: userId })
      .first()) as TotpRow | undefined;
    if (!row) return undefined;
    return {
      secret: sealed(row.totp_secret_sealed, row.totp_secret_kek_id),
      pending: sealed(row.totp_pending_sealed, row.totp_pending_kek_id),
      enabledAt: row.totp_enabled_at,
      lastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
    };
  }

  async setPending(userId: string, pending: Sealed): Promise<void> {
    await this.knex('users').where({ id: userId }).update({ totp_pending_sealed: pending.ciphertext, totp_pending_kek_id: pending.kekId });
  }

  /** Turns the pending secret on and replaces the recovery codes, in one transaction. */
  async enable(userId: string, secret: Sealed, step: number, recoveryCodeHashes: string[]): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx('users').where({ id: userId }).update({
        totp_secret_sealed: secret.ciphertext,
        totp_secret_kek_id: secret.kekId,
        totp_pending_sealed: null,
        totp_pending_kek_id: null,
        totp_enabled_at: trx.fn.now(),
        totp_last_step: step,
      });
      await trx('user_recovery_codes').where({ user_id: userId }).delete();
      await trx('user_recovery_codes').insert(recoveryCodeHashes.map((code_hash) => ({ user_id: userId, code_hash })));
    });
  }

  async disable(userId: string): Promise<void> {
    await this.knex.transaction(async (trx) => {
      await trx('users').where({ id: userId }).update({
        totp_secret_sealed: null,
        totp_secret_kek_id: null,
        totp_pending_sealed: null,
        totp_pending_kek_id: null,
        totp_enabled_at: null,
        totp_last_step: null,
      });
      await trx('user_recovery_codes').where({ user_id: userId }).delete();
    });
  }

  /** Records a used time step; false when that step (or a later one) was already used: a replay. */
  async acceptStep(userId: string, step: number): Promise<boolean> {
    const updated = await this.knex('users')
      .where({ id: userId })
      .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
      .update({ totp_last_step: step });
    return updated > 0;
  }

  async unusedRecoveryCodeHashes(userId: string): Promise<{ id: string; hash: string }[]> {
    const rows = await this.knex('user_recovery_codes').select('id', 'code_hash').where({ user_id: userId }).whereNull('used_at');
    return rows.map((r: { id: string; code_hash: string }) => ({ id: r.id, hash: r.code_hash }));
  }

  /** Marks a recovery code used; false when another request used it first. */
  async useRecoveryCode(id: string): Promise<boolean> {
    return (await this.knex('user_recovery_codes').where({ id }).whereNull('used_at').update({ used_at: this.knex.fn.now() })) > 0;
  }

  /** Users with a TOTP secret (or one being enrolled) sealed under another KEK than `kekId`. */
  async listSealedNotUnder(kekId: string, limit: number): Promise<({ userId: string } & Pick<TotpState, 'secret' | 'pending'>)[]> {
    const rows = (await this.knex('users')
      .select('id', 'totp_secret_sealed', 'totp_secret_kek_id', 'totp_pending_sealed', 'totp_pending_kek_id')
      .where((q) => q.where('totp_secret_kek_id', '<>', kekId).orWhere('totp_pending_kek_id', '<>', kekId))
      .orderBy('id')
      .limit(limit)) as (TotpRow & { id: string })[];
    return rows.map((r) => ({ userId: r.id, secret: sealed(r.totp_secret_sealed, r.totp_secret_kek_id), pending: sealed(r.totp_pending_sealed, r.totp_pending_kek_id) }));
  }

  /** Replaces sealed values, only where they are still what was read (a concurrent change wins). */
  async replaceSealed(userId: string, column: 'secret' | 'pending', before: Sealed, after: Sealed): Promise<boolean> {
    const [text, kek] = column === 'secret' ? ['totp_secret_sealed', 'totp_secret_kek_id'] : ['totp_pending_sealed', 'totp_pending_kek_id'];
    const updated = await this.knex('users').where({ id: userId, [text]: before.ciphertext }).update({ [text]: after.ciphertext, [kek]: after.kekId });
    return updated > 0;
  }

  async kekIdsInUse(): Promise<string[]> {
    const rows = (await this.knex.raw(
      'SELECT totp_secret_kek_id AS id FROM users WHERE totp_secret_kek_id IS NOT NULL UNION SELECT totp_pending_kek_id FROM users WHERE totp_pending_kek_id IS NOT NULL',
    )) as { rows: { id: string }[] };
    return rows.rows.map((r) => r.id);
  }
}
