// Two-step sign-in with TOTP (RFC 6238: SHA-1, 6 digits, 30 s) and one-time recovery codes. A code
// is accepted only in its own 30-second step (ASVS 5.0 V6.5.5: a TOTP lives at most 30 s), and each
// step once (no replay). The secret is sealed under the KEK (bound to the user's id). Recovery codes
// carry over 112 bits, so a peppered HMAC is an adequate store for them (ASVS 5.0 V6.5.2).
import { randomBytes } from 'node:crypto';

import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

import type { TwoStepRepository } from '../repositories/two-step.js';
import type { ClientSecretHasher } from './client-secrets.js';
import type { KeyEncryptor } from './key-encryption.js';
import type { RekeyableStore } from './rekey.js';

const PERIOD = 30;
/** Between the session uid and the base32 secret in a sealed pending enrolment (neither contains it). */
const PENDING_SEPARATOR = ' ';
const RECOVERY_CODES = 10;

export interface Enrolment {
  /** Base32, for typing into an app that cannot scan. */
  secret: string;
  otpauthUri: string;
  /** An SVG QR code as a data: URI, drawn here (nothing is fetched from elsewhere). */
  qrDataUri: string;
}

export type SecondFactor = 'totp' | 'recovery_code';

export class TwoStepService implements RekeyableStore {
  constructor(
    private readonly deps: { repository: TwoStepRepository; encryptor: KeyEncryptor; hasher: ClientSecretHasher; issuerName: string },
  ) {}

  async isEnabled(userId: string): Promise<boolean> {
    return Boolean((await this.deps.repository.state(userId))?.secret);
  }

  async recoveryCodesLeft(userId: string): Promise<number> {
    return (await this.deps.repository.unusedRecoveryCodeHashes(userId)).length;
  }

  /**
   * Starts enrolment in one sign-in session: a new secret waits, sealed and bound to that session,
   * until the user proves they hold it. The enrolment this session already has under way is shown
   * again instead, so that a second tab (or a reload) does not replace the secret the user may just
   * have scanned in the first. Another session (someone else holding a stolen cookie, say) never
   * sees that secret: it gets one of its own, which replaces it.
   */
  async begin(userId: string, accountLabel: string, sessionUid: string): Promise<Enrolment> {
    const started = await this.pending(userId, accountLabel, sessionUid);
    if (started) return started;
    const secret = new Secret({ size: 20 });
    await this.deps.repository.setPending(userId, this.deps.encryptor.seal(`${sessionUid}${PENDING_SEPARATOR}${secret.base32}`, context(userId)));
    return this.describe(secret, accountLabel);
  }

  /** The enrolment this session is setting up, to show again (e.g. after a wrong code). */
  async pending(userId: string, accountLabel: string, sessionUid: string): Promise<Enrolment | undefined> {
    const base32 = await this.pendingSecret(userId, sessionUid);
    return base32 ? this.describe(Secret.fromBase32(base32), accountLabel) : undefined;
  }

  /** Turns two-step sign-in on when the code matches this session's pending secret; returns the recovery codes (shown once). */
  async confirm(userId: string, code: string, sessionUid: string): Promise<string[] | undefined> {
    const base32 = await this.pendingSecret(userId, sessionUid);
    if (!base32) return undefined;
    const step = matchingStep(base32, code);
    if (step === undefined) return undefined;
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.deps.repository.enable(userId, this.deps.encryptor.seal(base32, context(userId)), step, codes.map((c) => this.deps.hasher.hash(normalise(c))));
    return codes;
  }

  /** Checks a code at sign-in: a current TOTP code (once per time step) or an unused recovery code. */
  async verify(userId: string, code: string): Promise<SecondFactor | undefined> {
    const state = await this.deps.repository.state(userId);
    if (!state?.secret) return undefined;
    const trimmed = code.replace(/\s+/g, '');
    if (/^\d{6}$/.test(trimmed)) {
      const step = matchingStep(this.deps.encryptor.open(state.secret, context(userId)), trimmed);
      if (step !== undefined && (await this.deps.repository.acceptStep(userId, step))) return 'totp';
      return undefined;
    }
    const presented = normalise(code);
    // Codes issued before they grew to 24 characters had 10; both kinds stay valid until used.
    if (presented.length < 10 || presented.length > 40) return undefined;
    for (const candidate of await this.deps.repository.unusedRecoveryCodeHashes(userId)) {
      if (this.deps.hasher.matches(presented, [candidate.hash])) {
        return (await this.deps.repository.useRecoveryCode(candidate.id)) ? 'recovery_code' : undefined;
      }
    }
    return undefined;
  }

  /** The pending secret, if it was made in this session (one sealed before enrolments were bound to sessions counts as none). */
  private async pendingSecret(userId: string, sessionUid: string): Promise<string | undefined> {
    const state = await this.deps.repository.state(userId);
    if (!state?.pending) return undefined;
    const opened = this.deps.encryptor.open(state.pending, context(userId));
    const at = opened.lastIndexOf(PENDING_SEPARATOR);
    return at > 0 && opened.slice(0, at) === sessionUid ? opened.slice(at + 1) : undefined;
  }

  disable(userId: string): Promise<void> {
    return this.deps.repository.disable(userId);
  }

  // RekeyableStore: TOTP secrets move to the first KEK with `gatehouse keys rekey`.
  readonly name = 'totp_secrets';

  async rekey(encryptor: KeyEncryptor): Promise<number> {
    let count = 0;
    for (;;) {
      const users = await this.deps.repository.listSealedNotUnder(encryptor.currentKekId, 500);
      let progressed = false;
      for (const user of users) {
        for (const column of ['secret', 'pending'] as const) {
          const before = user[column];
          if (!before || before.kekId === encryptor.currentKekId) continue;
          const resealed = encryptor.seal(encryptor.open(before, context(user.userId)), context(user.userId));
          if (await this.deps.repository.replaceSealed(user.userId, column, before, resealed)) {
            count += 1;
            progressed = true;
          }
        }
      }
      if (users.length < 500 || !progressed) return count;
    }
  }

  kekIdsInUse(): Promise<string[]> {
    return this.deps.repository.kekIdsInUse();
  }

  private async describe(secret: Secret, accountLabel: string): Promise<Enrolment> {
    const totp = new TOTP({ issuer: this.deps.issuerName, label: accountLabel, secret, period: PERIOD, digits: 6, algorithm: 'SHA1' });
    const otpauthUri = totp.toString();
    const svg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret: secret.base32, otpauthUri, qrDataUri: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }
}

const context = (userId: string) => `totp:${userId}`;

/** The current time step, when the code is that step's; otherwise undefined. */
function matchingStep(base32: string, code: string, now = Date.now()): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = TOTP.validate({ token, secret: Secret.fromBase32(base32), period: PERIOD, digits: 6, algorithm: 'SHA1', timestamp: now, window: 0 });
  return delta === null ? undefined : Math.floor(now / 1000 / PERIOD) + delta;
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no look-alikes (0/o, 1/l/i)
const RECOVERY_LENGTH = 24; // 24 × log2(31) ≈ 119 bits

/** xxxx-xxxx-xxxx-xxxx-xxxx-xxxx, uniformly from the alphabet (bytes past the last whole multiple are redrawn). */
function newRecoveryCode(): string {
  const limit = 256 - (256 % RECOVERY_ALPHABET.length);
  const chars: string[] = [];
  while (chars.length < RECOVERY_LENGTH) {
    for (const byte of randomBytes(RECOVERY_LENGTH)) {
      if (byte < limit && chars.length < RECOVERY_LENGTH) chars.push(RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length]!);
    }
  }
  return chars.join('').match(/.{4}/g)!.join('-');
}

const normalise = (code: string) => code.toLowerCase().replace(/[^a-z0-9]/g, '');
