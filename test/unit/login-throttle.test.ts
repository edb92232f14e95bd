// A successful sign-in forgets the failures counted for that account from that address, and writes
// nothing to the shared store when there were none to forget.
import { expect } from 'chai';
import { RateLimiterMemory } from 'rate-limiter-flexible';

import type { LimitPolicy, RateLimitStore } from '../../src/repositories/rate-limit-store.js';
import { LoginThrottle } from '../../src/services/login-throttle.js';

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

describe('login throttle', () => {
  it('writes nothing on a success when no failure was counted for the account and address', async () => {
    const { store, deletes } = spyingStore();
    const throttle = new LoginThrottle(store, POLICY);
    const verdict = await throttle.check('alice', '192.0.2.1');
    expect(verdict).to.deep.equal({ blocked: false, delayMs: 0, pairFailures: 0 });
    await throttle.recordSuccess('alice', '192.0.2.1', verdict as { pairFailures: number });
    expect(deletes).to.deep.equal([]);
  });

  it('forgets the failures from that address on a success, keeping the account-wide count', async () => {
    const { store, deletes } = spyingStore();
    const throttle = new LoginThrottle(store, POLICY);
    await throttle.recordFailure('alice', '192.0.2.1');
    await throttle.recordFailure('alice', '192.0.2.1');
    const verdict = await throttle.check('Alice ', '192.0.2.1');
    expect(verdict).to.include({ blocked: false, pairFailures: 2 });
    await throttle.recordSuccess('Alice ', '192.0.2.1', verdict as { pairFailures: number });
    expect(deletes).to.have.length(1);
    expect(deletes[0]).to.match(/^login-pair\/.+:192\.0\.2\.1$/);
    expect(await throttle.check('alice', '192.0.2.1')).to.include({ pairFailures: 0 });
    // Two more failures from elsewhere reach the delay: the two earlier ones still count for the account.
    for (let i = 0; i < 2; i += 1) await throttle.recordFailure('alice', '198.51.100.7');
    expect((await throttle.check('alice', '198.51.100.9')) as { delayMs: number }).to.have.property('delayMs').above(0);
  });
});
