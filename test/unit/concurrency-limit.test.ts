// Password hashes are limited to a few at a time: the limit holds, waiters go in arrival order,
// and a failing task gives its slot back.
import { expect } from 'chai';

import { loadConfig } from '../../src/config/config.js';
import { ConcurrencyLimit } from '../../src/services/concurrency-limit.js';
import { PasswordHasher, defaultHashConcurrency } from '../../src/services/passwords.js';
import { testEnv } from '../helpers/test-config.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('concurrency limit', () => {
  it('never runs more than its limit at once, and starts waiters in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const tasks = Array.from({ length: 7 }, (_, i) =>
      limit.run(async () => {
        started.push(i);
        running += 1;
        peak = Math.max(peak, running);
        await tick();
        running -= 1;
        return i;
      }),
    );
    expect(limit.queued).to.equal(5);
    expect(await Promise.all(tasks)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(peak).to.equal(2);
    expect(started).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(limit.queued).to.equal(0);
  });

  it('gives the slot back when a task fails', async () => {
    const limit = new ConcurrencyLimit(1);
    const failed = limit.run(async () => {
      await tick();
      throw new Error('boom');
    });
    const next = limit.run(async () => 'ran');
    const error = await failed.catch((e: Error) => e);
    expect(String(error)).to.include('boom');
    expect(await next).to.equal('ran');
  });

  it('refuses a limit below one', () => {
    expect(() => new ConcurrencyLimit(0)).to.throw(RangeError);
  });

  it('runs password verifications one at a time with a limit of one', async function () {
    this.timeout(20_000);
    const hasher = new PasswordHasher({ memoryCost: 19_456, timeCost: 2, parallelism: 1 }, 1);
    const hash = await hasher.hash('correct horse battery staple');
    const verifications = [hasher.verify(hash, 'correct horse battery staple'), hasher.verify(hash, 'wrong'), hasher.verify(hash, 'also wrong')];
    expect(hasher.queuedHashes).to.equal(2);
    expect(await Promise.all(verifications)).to.deep.equal([true, false, false]);
    expect(hasher.queuedHashes).to.equal(0);
  });

  it('is configured by ARGON2_CONCURRENCY, by default one per core less one', () => {
    expect(defaultHashConcurrency()).to.be.at.least(1);
    expect(loadConfig(testEnv({ ARGON2_CONCURRENCY: '3' })).passwordHashConcurrency).to.equal(3);
    expect(loadConfig(testEnv({})).passwordHashConcurrency).to.equal(undefined);
    expect(() => loadConfig(testEnv({ ARGON2_CONCURRENCY: '0' }))).to.throw(/ARGON2_CONCURRENCY/);
  });
});
