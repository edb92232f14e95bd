// Brute-force protection for the sign-in forms: attempts are counted per account, per client address
// and per account+address (the strictest, so an attacker elsewhere cannot lock the real user out for
// long) before the password is checked, and a successful one is taken back. Past a few failures each
// further answer is slowed down; past a limit, 429.
import { createHash } from 'node:crypto';

import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

import type { LoginThrottleConfig } from '../config/config.js';
import { consumeCounting, type RateLimitStore } from '../repositories/rate-limit-store.js';

export type ThrottleVerdict =
  /** `pairFailures`: failures counted for this account from this address when the check was made. */
  | { blocked: false; delayMs: number; pairFailures: number }
  | { blocked: true; retryAfterSeconds: number };

const MAX_DELAY_MS = 4000;
const BASE_DELAY_MS = 250;

export class LoginThrottle {
  private readonly perPair: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;

  constructor(
    store: RateLimitStore,
    private readonly policy: LoginThrottleConfig,
  ) {
    const window = policy.windowSeconds;
    this.perPair = store.create('login-pair', { points: policy.perAccountAndIp, durationSeconds: window });
    this.perAccount = store.create('login-account', { points: policy.perAccount, durationSeconds: window });
    this.perIp = store.create('login-ip', { points: policy.perIp, durationSeconds: window });
  }

  /**
   * Before a password (or code) is checked: refused, or allowed after a delay. The attempt is counted
   * here, before the check, as a failure until recordSuccess says otherwise: attempts made at the same
   * moment then each see the others (counted only after a wrong password, a burst of parallel guesses
   * all saw a count of zero and none was refused or slowed).
   */
  async check(account: string, ip: string): Promise<ThrottleVerdict> {
    const keys = this.keys(account, ip);
    const [pair, byAccount, byIp] = await Promise.all([take(this.perPair, keys.pair), take(this.perAccount, keys.account), take(this.perIp, keys.ip)]);
    const refused = [pair, byAccount, byIp].filter((outcome) => outcome.refused);
    if (refused.length) {
      const retryMs = Math.max(...refused.map((outcome) => outcome.res.msBeforeNext));
      return { blocked: true, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)) };
    }
    // Failures before this attempt.
    const pairFailures = pair.res.consumedPoints - 1;
    const over = Math.max(pairFailures, byAccount.res.consumedPoints - 1) - this.policy.delayAfter;
    return { blocked: false, delayMs: over < 0 ? 0 : Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** over), pairFailures };
  }

  /**
   * The user proved who they are from this address: this attempt does not count against the account
   * or the address, and their earlier failures from here are forgotten.
   */
  async recordSuccess(account: string, ip: string, checked: { pairFailures: number }): Promise<void> {
    const keys = this.keys(account, ip);
    await Promise.all([
      checked.pairFailures > 0 ? this.perPair.delete(keys.pair) : this.perPair.reward(keys.pair, 1),
      this.perAccount.reward(keys.account, 1),
      this.perIp.reward(keys.ip, 1),
    ]);
  }

  private keys(account: string, ip: string) {
    // Logins may be email addresses: only a digest goes into the shared store.
    const accountKey = createHash('sha256').update(account.trim().toLowerCase()).digest('base64url').slice(0, 32);
    return { pair: `${accountKey}:${ip}`, account: accountKey, ip };
  }
}

/**
 * The name failures are counted under: the account itself when the login names one (so its username
 * and its email share one budget), else what was typed.
 */
export const throttleAccount = (login: string, user: { id: string } | undefined): string => (user ? `user:${user.id}` : login);

/** An attempt counted, and whether it went over the limit. */
async function take(limiter: RateLimiterAbstract, key: string): Promise<{ refused: boolean; res: RateLimiterRes }> {
  const res = await consumeCounting(limiter, key);
  return { refused: res.consumedPoints > limiter.points, res };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
