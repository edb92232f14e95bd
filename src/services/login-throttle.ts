// Brute-force protection for the sign-in forms: failed attempts are counted per account, per client
// address and per account+address (the strictest, so an attacker elsewhere cannot lock the real user
// out for long). Past a few failures each further answer is slowed down; past a limit, 429.
import { createHash } from 'node:crypto';

import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

import type { LoginThrottleConfig } from '../config/config.js';
import type { RateLimitStore } from '../repositories/rate-limit-store.js';

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

  /** Before a password (or code) is checked: refused, or allowed after a delay. */
  async check(account: string, ip: string): Promise<ThrottleVerdict> {
    const keys = this.keys(account, ip);
    const [pair, byAccount, byIp] = await Promise.all([this.perPair.get(keys.pair), this.perAccount.get(keys.account), this.perIp.get(keys.ip)]);
    const spent = [
      [pair, this.policy.perAccountAndIp],
      [byAccount, this.policy.perAccount],
      [byIp, this.policy.perIp],
    ] as const;
    const retryMs = Math.max(0, ...spent.filter(([res, limit]) => res && res.consumedPoints >= limit).map(([res]) => res!.msBeforeNext));
    if (retryMs > 0) return { blocked: true, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)) };
    const failures = Math.max(pair?.consumedPoints ?? 0, byAccount?.consumedPoints ?? 0);
    const over = failures - this.policy.delayAfter;
    return { blocked: false, delayMs: over < 0 ? 0 : Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** over), pairFailures: pair?.consumedPoints ?? 0 };
  }

  async recordFailure(account: string, ip: string): Promise<void> {
    const keys = this.keys(account, ip);
    // Over the limit, consume() rejects with the counter state: that is expected here.
    const count = (limiter: RateLimiterAbstract, key: string) => limiter.consume(key).catch((res: RateLimiterRes | Error) => {
      if (res instanceof Error) throw res;
    });
    await Promise.all([count(this.perPair, keys.pair), count(this.perAccount, keys.account), count(this.perIp, keys.ip)]);
  }

  /**
   * The user proved who they are from this address: their failures from here are forgotten. With none
   * counted at the check there is nothing to forget (a failure racing in since then stays counted).
   */
  async recordSuccess(account: string, ip: string, checked: { pairFailures: number }): Promise<void> {
    if (checked.pairFailures === 0) return;
    await this.perPair.delete(this.keys(account, ip).pair);
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

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
