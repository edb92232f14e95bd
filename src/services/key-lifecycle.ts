// The signing-key lifecycle as pure functions of time: next → current → retired → removed.
// A key's state follows from its timestamps alone, so every instance switches at the same moment
// without being told; the `state` column is a persisted snapshot that maintenance keeps in step.
import type { KeyState } from '../repositories/signing-keys.js';

export type EffectiveState = KeyState | 'removed';

export interface KeyTimes {
  /** When the key starts signing. */
  activatesAt: Date;
  /** When it stops signing: set when a successor is scheduled (the successor's activation). */
  retiredAt: Date | null;
  /** When it leaves the JWKS: its retirement plus the longest life of a token it signed. */
  removeAfter: Date | null;
}

/** Seconds a verifier may still accept a token after its `exp` (Gatehouse's own clock tolerance). */
export const CLOCK_TOLERANCE_SECONDS = 5;

export function effectiveState(key: KeyTimes, now: number): EffectiveState {
  if (now < key.activatesAt.getTime()) return 'next';
  if (key.retiredAt && now >= key.retiredAt.getTime()) {
    return key.removeAfter && now >= key.removeAfter.getTime() ? 'removed' : 'retired';
  }
  return 'current';
}

/** The earliest moment after `now` at which any of these keys changes state, if any does. */
export function nextTransition(keys: readonly KeyTimes[], now: number): Date | undefined {
  let earliest: number | undefined;
  for (const key of keys) {
    for (const at of [key.activatesAt, key.retiredAt, key.removeAfter]) {
      const time = at?.getTime();
      if (time !== undefined && time > now && (earliest === undefined || time < earliest)) earliest = time;
    }
  }
  return earliest === undefined ? undefined : new Date(earliest);
}

/**
 * How long a retired key must stay published: the longest time any token it may have signed is still
 * used (the access tokens of the APIs signing with its algorithm until they expire; ID tokens as long
 * as the sign-in session they came from, because a relying party sends one back as id_token_hint at
 * logout or re-authentication even after its `exp`: RP-Initiated Logout 1.0 §4), the verifiers' clock
 * tolerance, and the operator's margin.
 */
export function retentionSeconds(
  lifetimes: { idToken: number; session: number; accessToken: number; apiAccessTokens: readonly number[] },
  marginSeconds: number,
): number {
  return Math.max(lifetimes.idToken, lifetimes.session, lifetimes.accessToken, ...lifetimes.apiAccessTokens) + CLOCK_TOLERANCE_SECONDS + marginSeconds;
}

export const addSeconds = (date: Date | number, seconds: number): Date => new Date(new Date(date).getTime() + seconds * 1000);
