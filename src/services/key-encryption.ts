// Envelope encryption of private keys at rest: AES-256-GCM under a key-encryption key (KEK).
// The first KEK encrypts; any configured KEK decrypts, chosen by the id stored beside the ciphertext.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import type { KeyEncryptionKey } from '../config/secrets.js';

export interface Sealed {
  kekId: string;
  ciphertext: string;
}

const VERSION = 'v1';

export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
}

export class KeyEncryptor {
  constructor(private readonly keks: readonly KeyEncryptionKey[]) {
    if (!keks.length) throw new Error('at least one key-encryption key is required');
  }

  get currentKekId(): string {
    return this.keks[0]!.id;
  }

  /** The ids of every configured KEK, the encrypting one first (never the keys themselves). */
  get kekIds(): string[] {
    return this.keks.map((k) => k.id);
  }

  /** `context` is bound into the ciphertext (AAD): a ciphertext moved to another row will not decrypt. */
  seal(plaintext: string, context: string): Sealed {
    const kek = this.keks[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return { kekId: kek.id, ciphertext: [VERSION, iv.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.') };
  }

  open(sealed: Sealed, context: string): string {
    const kek = this.keks.find((k) => k.id === sealed.kekId);
    if (!kek) {
      throw new KeyDecryptionError(`no configured GATEHOUSE_KEK matches key-encryption key ${sealed.kekId}`);
    }
    const [version, iv, body, tag] = sealed.ciphertext.split('.');
    if (version !== VERSION || !iv || !body || !tag) {
      throw new KeyDecryptionError('unrecognised ciphertext format');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new KeyDecryptionError(`decryption with key-encryption key ${sealed.kekId} failed: wrong key or tampered data`);
    }
  }
}
