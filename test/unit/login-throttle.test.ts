// The sign-in throttle counts an attempt before the password is checked, so that parallel guesses
// see each other; a success takes its attempt back and forgets the failures from that address.
import { expect } from 'chai';
import { RateLimiterMemory } from 'rate-limiter-flexible';

import type { LimitPolicy, RateLimitStore } from '../../src/repositories/rate-limit-store.js';
import { LoginThrottle, type ThrottleVerdict } from '../../src/services/login-throttle.js';

const POLICY = { windowSeconds: 900, perAccountAndIp: 5, perAccount: 20, perIp: 50, delayAfter: 3 };

/** Memory limiters that note every delete, named by prefix. */
function spyingStore() {
  const deletes: string[] = [];
  const store = {
    create(prefix: string, policy: LimitPolicy) {
      const limiter = new RateLimiterMemory({ keyPrefix: prefix, points: policy.points, duration: policy.durationSeconds });
      const remove = limiter.delete.bind(limiter);
      limiter.delete = (key: string) => (deletes.push(`${prefix}/${key}`), remove(key));
      return limiter;
    },
  } as unknown as RateLimitStore;
  return { store, deletes };
}

/** A failed attempt: counted by check() and left counted. */
const fail = (throttle: LoginThrottle, account: string, ip: string) => throttle.check(account, ip);

describe('login throttle', () => {
  it('refuses parallel guesses beyond the limit: each attempt is counted before its password is checked', async () => {
    const { store } = spyingStore();
    const throttle = new LoginThrottle(store, POLICY);
    const verdicts = await Promise.all(Array.from({ length: 30 }, () => throttle.check('alice', '192.0.2.1')));
    expect(verdicts.filter((v) => !v.blocked)).to.have.length(POLICY.perAccountAndIp);
    expect(verdicts.filter((v) => v.blocked)).to.have.length(30 - POLICY.perAccountAndIp);
  });

  it('takes a successful attempt back: it counts against neither the account nor the address', async () => {
    const { store, deletes } = spyingStore();
    const throttle = new LoginThrottle(store, POLICY);
    for (let i = 0; i < 10; i += 1) {
      const verdict = await throttle.check('alice', '192.0.2.1');
      expect(verdict).to.deep.equal({ blocked: false, delayMs: 0, pairFailures: 0 });
      await throttle.recordSuccess('alice', '192.0.2.1', verdict as { pairFailures: number });
    }
    // No failure was counted, so there was nothing to forget.
    expect(deletes).to.deep.equal([]);
  });

  it('forgets the failures from that address on a success, keeping the account-wide count', async () => {
    const { store, deletes } = spyingStore();
    const throttle = new LoginThrottle(store, POLICY);
    await fail(throttle, 'alice', '192.0.2.1');
    await fail(throttle, 'alice', '192.0.2.1');
    const verdict = await throttle.check('Alice ', '192.0.2.1');
    expect(verdict).to.include({ blocked: false, pairFailures: 2 });
    await throttle.recordSuccess('Alice ', '192.0.2.1', verdict as { pairFailures: number });
    expect(deletes).to.have.length(1);
    expect(deletes[0]).to.match(/^login-pair\/.+:192\.0\.2\.1$/);
    const next = await throttle.check('alice', '192.0.2.1');
    expect(next).to.include({ pairFailures: 0 });
    await throttle.recordSuccess('alice', '192.0.2.1', next as { pairFailures: number });
    // Two more failures from elsewhere reach the delay: the two earlier ones still count for the account.
    for (let i = 0; i < 2; i += 1) await fail(throttle, 'alice', '198.51.100.7');
    const slowed: ThrottleVerdict = await throttle.check('alice', '198.51.100.9');
    expect(slowed).to.have.property('delayMs').above(0);
  });
});
