// How oidc-provider's artefacts are keyed at rest. A stored row is found by the SHA-256 of the
// token (or cookie) value, never by the value itself: a database dump yields no usable refresh token,
// code or session. Values are 256-bit random, so a fast unkeyed hash is enough (nothing to guess),
// and it keeps working across pepper and KEK changes.
// Sessions and device codes are also looked up by a second key (uid, user code) and oidc-provider
// then needs the value back: for those the value is kept sealed under the KEK (AES-256-GCM, bound to
// the row). The KEK rather than the pepper: it is Gatehouse's encryption key with a rotation story
// (several KEKs, `gatehouse keys rekey`), while the pepper keys hashes and can never change.
import { createHash } from 'node:crypto';

import type { KeyEncryptor } from './key-encryption.js';
import type { Logger } from './logger.js';

/**
 * Grants keep their id: it is not a credential (no endpoint accepts it), it travels in every JWT
 * access token of the grant (`gid`, for revocation), and other rows refer to it by `grant_id`.
 */
export const CLEAR_ID_MODELS: ReadonlySet<string> = new Set(['Grant']);

/** Models oidc-provider also finds by a secondary key and must then learn the id of. */
export const SEALED_ID_MODELS: ReadonlySet<string> = new Set(['Session', 'DeviceCode']);

/** The payload field holding a sealed id. */
export const SEALED_ID_FIELD = 'sealedJti';

export interface SealedId {
  kek: string;
  ct: string;
}

export function hashTokenId(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** The primary key a model instance is stored under. */
export function storageId(model: string, id: string): string {
  return CLEAR_ID_MODELS.has(model) ? id : hashTokenId(id);
}

export class TokenIdSealer {
  constructor(
    private readonly encryptor: KeyEncryptor,
    private readonly logger: Logger,
  ) {}

  get currentKekId(): string {
    return this.encryptor.currentKekId;
  }

  /** Seals `id` for the row `model`/`storedId`: the ciphertext opens only for that row. */
  seal(model: string, storedId: string, id: string): SealedId {
    const sealed = this.encryptor.seal(id, context(model, storedId));
    return { kek: sealed.kekId, ct: sealed.ciphertext };
  }

  /**
   * The id sealed in a row, or undefined when it does not open (its KEK was removed before
   * `gatehouse keys rekey` ran, or the data was tampered with): the artefact is then as good as gone.
   */
  open(model: string, storedId: string, sealed: unknown): string | undefined {
    if (!isSealedId(sealed)) return undefined;
    try {
      const id = this.encryptor.open({ kekId: sealed.kek, ciphertext: sealed.ct }, context(model, storedId));
      // The hash check catches a ciphertext that opens but belongs to another value.
      return storageId(model, id) === storedId ? id : undefined;
    } catch (error) {
      this.logger.warn({ err: error, model }, 'a stored token id could not be decrypted; treating the artefact as gone');
      return undefined;
    }
  }

  /** Re-seals under the first KEK (after a KEK rotation); undefined when it does not open. */
  reseal(model: string, storedId: string, sealed: unknown): SealedId | undefined {
    const id = this.open(model, storedId, sealed);
    return id === undefined ? undefined : this.seal(model, storedId, id);
  }
}

export function isSealedId(value: unknown): value is SealedId {
  return typeof value === 'object' && value !== null && typeof (value as SealedId).kek === 'string' && typeof (value as SealedId).ct === 'string';
}

const context = (model: string, storedId: string) => `oidc:${model}:${storedId}`;
