// Signing keys shared by every instance: generated once, stored encrypted under the KEK, loaded
// into memory. Which key signs follows from its timestamps (key-lifecycle.ts): only `current` keys
// sign; `next` and `retired` keys are published for verification.
import { createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import type { KeyState, KeyTransaction, SigningKeyRecord, SigningKeyRepository } from '../repositories/signing-keys.js';
import { KeyDecryptionError, type KeyEncryptor } from './key-encryption.js';
import { effectiveState, nextTransition, type EffectiveState } from './key-lifecycle.js';

export interface ProviderJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

/** What may be shown about a key: never its private half. */
export interface KeyInfo {
  kid: string;
  alg: string;
  /** The state now, from the key's timestamps. */
  state: EffectiveState;
  publicJwk: Record<string, unknown>;
  kekId: string;
  createdAt: Date;
  activatesAt: Date;
  retiredAt: Date | null;
  removeAfter: Date | null;
}

/** A key that is still published (its state is never `removed`). */
export type PublishedKeyInfo = Omit<KeyInfo, 'state'> & { state: KeyState };

export interface LoadedKeys {
  /** Private JWKs in the order oidc-provider should prefer them (current first). */
  providerJwks: ProviderJwk[];
  /** Public verification keys by kid, for Gatehouse's own token checks. */
  verificationKeys: Map<string, { alg: string; key: KeyObject }>;
  /** Every published key with its state as of `at`. */
  records: KeyInfo[];
  at: Date;
  /** When the next key changes state; the key ring recomputes then, without being told. */
  nextTransitionAt: Date | undefined;
}

/** Every stored key, decrypted: the key ring derives what is published at any moment from this. */
export interface DecryptedKeys {
  entries: { record: SigningKeyRecord; privateJwk: JWK; publicKey: KeyObject }[];
}

export const ID_TOKEN_ALG = 'RS256';

const stateOrder: Record<EffectiveState, number> = { current: 0, next: 1, retired: 2, removed: 3 };

export async function generateJwk(alg: string): Promise<{ privateJwk: JWK; publicJwk: JWK; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return { privateJwk: { ...privateJwk, kid, alg, use: 'sig' }, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, kid };
}

export function toKeyInfo(record: SigningKeyRecord, now: number): KeyInfo {
  return {
    kid: record.kid,
    alg: record.alg,
    state: effectiveState(record, now),
    publicJwk: record.publicJwk,
    kekId: record.kekId,
    createdAt: record.createdAt,
    activatesAt: record.activatesAt,
    retiredAt: record.retiredAt,
    removeAfter: record.removeAfter,
  };
}

/** The keys as published at `now`: which sign, which only verify, which are gone. */
export function keysAt(decrypted: DecryptedKeys, now: number): LoadedKeys {
  const live = decrypted.entries
    .map((entry) => ({ ...entry, state: effectiveState(entry.record, now) }))
    .filter((entry) => entry.state !== 'removed')
    .sort((a, b) => stateOrder[a.state] - stateOrder[b.state]);
  const providerJwks: ProviderJwk[] = [];
  const verificationKeys = new Map<string, { alg: string; key: KeyObject }>();
  for (const { record, privateJwk, publicKey, state } of live) {
    providerJwks.push({
      ...privateJwk,
      kid: record.kid,
      alg: record.alg,
      use: 'sig',
      // Keys that must not sign yet (next) or any more (retired) are verify-only.
      ...(state === 'current' ? {} : { key_ops: ['verify'] }),
    });
    verificationKeys.set(record.kid, { alg: record.alg, key: publicKey });
  }
  return {
    providerJwks,
    verificationKeys,
    records: live.map((entry) => toKeyInfo(entry.record, now)),
    at: new Date(now),
    nextTransitionAt: nextTransition(
      decrypted.entries.map((e) => e.record),
      now,
    ),
  };
}

export class SigningKeyService {
  constructor(
    private readonly repository: SigningKeyRepository,
    private readonly encryptor: KeyEncryptor,
  ) {}

  /** Every stored key with its state now (no decryption: for listing). */
  async list(now = Date.now()): Promise<KeyInfo[]> {
    return (await this.repository.list()).map((record) => toKeyInfo(record, now));
  }

  /** The keys in the JWKS now, with the state each is in now (what the CLI and the admin API show). */
  async listPublished(now = Date.now()): Promise<PublishedKeyInfo[]> {
    return (await this.list(now)).filter((k): k is PublishedKeyInfo => k.state !== 'removed');
  }

  /**
   * Decrypts every key that is still published. A key that does not decrypt is an error that names
   * the key and the KEK it needs — never a reason to make a new key, which would silently invalidate
   * every token the old one signed and publish a key the other instances cannot read.
   */
  async load(records?: SigningKeyRecord[], now = Date.now()): Promise<DecryptedKeys> {
    const stored = records ?? (await this.repository.list());
    const entries: DecryptedKeys['entries'] = [];
    for (const record of stored) {
      if (effectiveState(record, now) === 'removed') continue;
      const privateJwk = JSON.parse(this.open(record)) as JWK;
      entries.push({
        record,
        privateJwk,
        publicKey: createPublicKey({ key: record.publicJwk as JsonWebKeyInput['key'], format: 'jwk' }),
      });
    }
    return { entries };
  }

  /** Throws the start-up error of `load` when the configured KEKs cannot read the stored keys. */
  async verifyDecryptable(records?: SigningKeyRecord[]): Promise<void> {
    await this.load(records);
  }

  /** A freshly generated key, sealed under the first KEK, ready to insert. */
  async create(alg: string): Promise<{ kid: string; alg: string; publicJwk: Record<string, unknown>; privateJwkEncrypted: string; kekId: string }> {
    const { privateJwk, publicJwk, kid } = await generateJwk(alg);
    const sealed = this.encryptor.seal(JSON.stringify(privateJwk), kid);
    return { kid, alg, publicJwk: publicJwk as Record<string, unknown>, privateJwkEncrypted: sealed.ciphertext, kekId: sealed.kekId };
  }

  /**
   * Makes sure each algorithm has a key that signs now (first start, a new API algorithm). Safe when
   * instances race: the key-set lock lets one create, the others then find it.
   */
  async ensureCurrentKeys(algs: Iterable<string>): Promise<string[]> {
    const wanted = [...new Set(algs)];
    const lacking = (records: SigningKeyRecord[], now: number) =>
      wanted.filter((alg) => !records.some((k) => k.alg === alg && effectiveState(k, now) === 'current'));
    const existing = await this.repository.list();
    await this.verifyDecryptable(existing);
    const missing = lacking(existing, Date.now());
    if (!missing.length) return [];
    // Key generation (RSA takes a while) happens before the lock is taken.
    const prepared = new Map(await Promise.all(missing.map(async (alg) => [alg, await this.create(alg)] as const)));
    return this.repository.withLock(async (trx) => {
      const now = Date.now();
      const records = await this.repository.list(trx);
      await this.syncStates(trx, records, now);
      const changed: string[] = [];
      for (const alg of lacking(records, now)) {
        const pending = records.find((k) => k.alg === alg && effectiveState(k, now) === 'next');
        if (pending) {
          // A published successor but nothing signing: the successor starts now.
          await this.repository.setActivation(pending.kid, new Date(now), trx);
          await this.repository.setState(pending.kid, 'current', trx);
          changed.push(pending.kid);
          continue;
        }
        const key = prepared.get(alg) ?? (await this.create(alg));
        const inserted = await this.repository.insert(
          { ...key, state: 'current', activatesAt: new Date(now), retiredAt: null, removeAfter: null },
          trx,
        );
        if (inserted) changed.push(key.kid);
      }
      return changed;
    });
  }

  /**
   * Persists the states that time has brought about (inside the key-set lock): removed keys are
   * deleted, then retirements, then activations, so that one current key per alg holds throughout.
   */
  async syncStates(trx: KeyTransaction, records: SigningKeyRecord[], now: number): Promise<number> {
    let changed = 0;
    const byTarget = (target: EffectiveState) => records.filter((r) => effectiveState(r, now) === target && r.state !== target);
    for (const record of records.filter((r) => effectiveState(r, now) === 'removed')) {
      await this.repository.delete(record.kid, trx);
      changed += 1;
    }
    for (const target of ['retired', 'next', 'current'] as KeyState[]) {
      for (const record of byTarget(target)) {
        await this.repository.setState(record.kid, target, trx);
        changed += 1;
      }
    }
    return changed;
  }

  private open(record: SigningKeyRecord): string {
    try {
      return this.encryptor.open({ kekId: record.kekId, ciphertext: record.privateJwkEncrypted }, record.kid);
    } catch (error) {
      if (!(error instanceof KeyDecryptionError)) throw error;
      throw new KeyDecryptionError(
        `signing key ${record.kid} (${record.alg}) cannot be decrypted: ${error.message}. ` +
          `Configured GATEHOUSE_KEK ids: ${this.encryptor.kekIds.join(', ')}. Set the key-encryption key it was encrypted with ` +
          '(during a KEK rotation: the new KEK first and the old one after it, until `gatehouse keys rekey` has run). ' +
          'Gatehouse does not replace the key: every token it signed would stop validating.',
      );
    }
  }
}
