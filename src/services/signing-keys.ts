// Signing keys shared by every instance: generated once, stored encrypted under the KEK, loaded
// into memory. Only `current` keys sign; `next` and `retired` keys are published for verification.
import { createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import type { SigningKeyRecord, SigningKeyRepository } from '../repositories/signing-keys.js';
import type { KeyEncryptor } from './key-encryption.js';

export interface ProviderJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

export interface LoadedKeys {
  /** Private JWKs in the order oidc-provider should prefer them (current first). */
  providerJwks: ProviderJwk[];
  /** Public verification keys by kid, for Gatehouse's own token checks. */
  verificationKeys: Map<string, { alg: string; key: KeyObject }>;
  records: SigningKeyRecord[];
}

export const ID_TOKEN_ALG = 'RS256';

const stateOrder = { current: 0, next: 1, retired: 2 } as const;

async function generateJwk(alg: string): Promise<{ privateJwk: JWK; publicJwk: JWK; kid: string }> {
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

export class SigningKeyService {
  constructor(
    private readonly repository: SigningKeyRepository,
    private readonly encryptor: KeyEncryptor,
  ) {}

  /** Creates a current key for each algorithm that has none (safe when instances race). */
  async ensureCurrentKeys(algs: Iterable<string>): Promise<string[]> {
    const existing = await this.repository.list();
    const created: string[] = [];
    for (const alg of new Set(algs)) {
      if (existing.some((k) => k.alg === alg && k.state === 'current')) continue;
      const { privateJwk, publicJwk, kid } = await generateJwk(alg);
      const sealed = this.encryptor.seal(JSON.stringify(privateJwk), kid);
      const inserted = await this.repository.insert({
        kid,
        alg,
        state: 'current',
        publicJwk,
        privateJwkEncrypted: sealed.ciphertext,
        kekId: sealed.kekId,
        activatesAt: new Date(),
        retiredAt: null,
        removeAfter: null,
      });
      if (inserted) created.push(kid);
    }
    return created;
  }

  /** Decrypts every key; a key that does not decrypt is a start-up error, never a silent new key. */
  async load(): Promise<LoadedKeys> {
    const records = (await this.repository.list()).sort((a, b) => stateOrder[a.state] - stateOrder[b.state]);
    const providerJwks: ProviderJwk[] = [];
    const verificationKeys = new Map<string, { alg: string; key: KeyObject }>();
    for (const record of records) {
      const privateJwk = JSON.parse(
        this.encryptor.open({ kekId: record.kekId, ciphertext: record.privateJwkEncrypted }, record.kid),
      ) as JWK;
      providerJwks.push({
        ...privateJwk,
        kid: record.kid,
        alg: record.alg,
        use: 'sig',
        // Keys that must not sign yet (next) or any more (retired) are verify-only.
        ...(record.state === 'current' ? {} : { key_ops: ['verify'] }),
      });
      verificationKeys.set(record.kid, {
        alg: record.alg,
        key: createPublicKey({ key: record.publicJwk as JsonWebKeyInput['key'], format: 'jwk' }),
      });
    }
    return { providerJwks, verificationKeys, records };
  }
}
