// After a KEK rotation (GATEHOUSE_KEK="new,old"): re-encrypts everything sealed under an older KEK
// with the first one, so the old KEK can then be dropped. Safe while servers run: each row is
// rewritten only if nobody changed it meanwhile, and running it again finishes what is left.
import type { OidcModelRepository } from '../repositories/oidc-models.js';
import type { SigningKeyRepository } from '../repositories/signing-keys.js';
import type { ChangeFeed } from './change-feed.js';
import type { KeyEncryptor } from './key-encryption.js';
import { SIGNING_KEY_TOPIC } from './key-ring.js';
import { SEALED_ID_FIELD, SEALED_ID_MODELS, type TokenIdSealer } from './token-ids.js';

/** Anything else encrypted under the KEK (TOTP secrets, ...) joins the rekey by implementing this. */
export interface RekeyableStore {
  name: string;
  /** Re-encrypts under the first KEK; returns how many items it rewrote. */
  rekey(encryptor: KeyEncryptor): Promise<number>;
  /** The KEK ids its items are encrypted under now. */
  kekIdsInUse(): Promise<string[]>;
}

export interface RekeyResult {
  kekId: string;
  rewritten: Record<string, number>;
  /** KEK ids anything is still encrypted under, after the run (just `kekId` when done). */
  kekIdsInUse: string[];
}

const BATCH = 500;

export class Rekeying {
  constructor(
    private readonly deps: {
      encryptor: KeyEncryptor;
      signingKeys: SigningKeyRepository;
      models: OidcModelRepository;
      tokenIds: TokenIdSealer;
      feed: ChangeFeed;
      stores?: readonly RekeyableStore[];
    },
  ) {}

  async rekey(): Promise<RekeyResult> {
    const rewritten: Record<string, number> = {
      signing_keys: await this.rekeySigningKeys(),
      token_ids: await this.rekeyTokenIds(),
    };
    for (const store of this.deps.stores ?? []) rewritten[store.name] = await store.rekey(this.deps.encryptor);
    if (rewritten.signing_keys) await this.deps.feed.publish({ topic: SIGNING_KEY_TOPIC, key: 'rekey', expiresAt: null });
    return { kekId: this.deps.encryptor.currentKekId, rewritten, kekIdsInUse: await this.kekIdsInUse() };
  }

  async kekIdsInUse(): Promise<string[]> {
    const ids = new Set<string>((await this.deps.signingKeys.list()).map((k) => k.kekId));
    for (const id of await this.deps.models.sealedKekIds([...SEALED_ID_MODELS], SEALED_ID_FIELD)) ids.add(id);
    for (const store of this.deps.stores ?? []) for (const id of await store.kekIdsInUse()) ids.add(id);
    return [...ids].sort();
  }

  private async rekeySigningKeys(): Promise<number> {
    const { encryptor, signingKeys } = this.deps;
    let count = 0;
    for (const record of await signingKeys.list()) {
      if (record.kekId === encryptor.currentKekId) continue;
      // A key that does not decrypt stops the run with the same clear error as at start-up.
      const plaintext = encryptor.open({ kekId: record.kekId, ciphertext: record.privateJwkEncrypted }, record.kid);
      if (await signingKeys.reencrypt(record.kid, record.kekId, encryptor.seal(plaintext, record.kid))) count += 1;
    }
    return count;
  }

  private async rekeyTokenIds(): Promise<number> {
    const { models, tokenIds } = this.deps;
    let count = 0;
    let after: { model: string; id: string } | undefined;
    for (;;) {
      const rows = await models.listSealedNotUnder([...SEALED_ID_MODELS], SEALED_ID_FIELD, tokenIds.currentKekId, after, BATCH);
      for (const row of rows) {
        const resealed = tokenIds.reseal(row.model, row.id, row.sealed);
        // One that does not open is unusable anyway (its session is as good as ended); it expires.
        if (resealed && (await models.replaceSealed(row.model, row.id, SEALED_ID_FIELD, row.sealed, resealed))) count += 1;
      }
      if (rows.length < BATCH) return count;
      after = { model: rows.at(-1)!.model, id: rows.at(-1)!.id };
    }
  }
}
