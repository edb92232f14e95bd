// Password hashing with argon2id (OWASP parameters or stronger), with rehash-on-login when the
// configured parameters change, and a dummy verification so unknown users cost the same time.
// Hashes run on libuv's thread pool and each one keeps a core busy for tens of milliseconds: at most
// `concurrency` run at once (by default one core fewer than the machine has), so a burst of sign-ins
// (or a password-spraying attack) queues here instead of starving the event loop that serves tokens.
import { availableParallelism } from 'node:os';

import argon2 from 'argon2';

import { ConcurrencyLimit } from './concurrency-limit.js';
import { normalizePassword } from './password-policy.js';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy.js';

export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private readonly slots: ConcurrencyLimit;

  constructor(
    private readonly parameters: Argon2Parameters,
    concurrency = defaultHashConcurrency(),
  ) {
    this.slots = new ConcurrencyLimit(concurrency);
  }

  /** Hashes the password in Unicode NFC (password-policy.ts). */
  hash(password: string): Promise<string> {
    return this.slots.run(() => argon2.hash(normalizePassword(password), { type: argon2.argon2id, ...this.parameters }));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    return (await this.check(hash, password)) !== 'no_match';
  }

  /**
   * Whether the password matches, in NFC; `legacy_match` when only the text as typed matches (a hash
   * made before passwords were normalised, from text that was not NFC): worth hashing again.
   */
  async check(hash: string, password: string): Promise<'match' | 'legacy_match' | 'no_match'> {
    const normalized = normalizePassword(password);
    if (await this.verifyOne(hash, normalized)) return 'match';
    if (normalized !== password && (await this.verifyOne(hash, password))) return 'legacy_match';
    return 'no_match';
  }

  private async verifyOne(hash: string, password: string): Promise<boolean> {
    try {
      return await this.slots.run(() => argon2.verify(hash, password));
    } catch {
      return false;
    }
  }

  /** Hashes waiting for a slot. */
  get queuedHashes(): number {
    return this.slots.queued;
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, { ...this.parameters });
  }

  /** Spends the time of one verification against a hash nobody can match. */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash(`dummy-${Math.random()}`);
    await this.verify(await this.dummyHash, password);
    return false;
  }
}

/** One hash per core, less one core kept for the event loop (at least one). */
export function defaultHashConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}
