// How long a sign-in session lives (ASVS 5.0 V7.3.1 inactivity timeout, V7.3.2 absolute lifetime).
// oidc-provider saves the session with a fresh ttl on every request that uses it; without these
// limits a session used at least once per lifetime would never end. loginTs is the time of the last
// authentication (oidc-provider renews it, and replaces the session id, on every re-authentication).

export interface SessionLimits {
  /** Seconds from sign-in after which the session ends however much it is used (SESSION_TTL). */
  absolute: number;
  /** Seconds without use after which the session ends (SESSION_IDLE_TTL, at most `absolute`). */
  idle: number;
  /** Seconds a session nobody signed in to is kept after its last use. */
  anonymous: number;
}

interface SessionFacts {
  accountId?: string;
  loginTs?: number;
}

const nowInSeconds = () => Math.floor(Date.now() / 1000);

/** The ttl of a session saved now: the idle time, but never past its absolute end. */
export function sessionTtl(session: SessionFacts, limits: SessionLimits, now = nowInSeconds()): number {
  if (!session.accountId) return Math.min(limits.anonymous, limits.idle);
  const untilEnd = typeof session.loginTs === 'number' ? session.loginTs + limits.absolute - now : limits.absolute;
  // oidc-provider refuses a ttl below 1; a session saved at its end is refused when read (sessionOutlived).
  return Math.max(1, Math.min(limits.idle, untilEnd));
}

/** Whether a stored session is past its absolute lifetime (its last save may have given it a second more). */
export function sessionOutlived(session: SessionFacts, absolute: number, now = nowInSeconds()): boolean {
  return typeof session.loginTs === 'number' && session.loginTs + absolute <= now;
}
