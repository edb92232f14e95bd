// Counting in process far below the limit (few store writes), exact near it, shared between instances.
import { expect } from 'chai';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

import { BatchedRateLimiter } from '../../src/services/batched-rate-limiter.js';

/** A store that counts how often it is written to. */
function countingStore(points: number) {
  const store = new RateLimiterMemory({ points, duration: 60 });
  const calls = { consume: 0 };
  const consume = store.consume.bind(store);
  store.consume = (key, n) => {
    calls.consume += 1;
    return consume(key, n);
  };
  return { store, calls };
}

const allowed = (p: Promise<unknown>) => p.then(() => true, (e: unknown) => (e instanceof RateLimiterRes ? false : Promise.reject(e)));

describe('batched rate limiter', () => {
  it('counts far below the limit in process and adds the count to the store in one write', async () => {
    const { store, calls } = countingStore(1000);
    const limiter = new BatchedRateLimiter(store, 10_000);
    for (let i = 0; i < 100; i += 1) expect(await allowed(limiter.consume('ip'))).to.equal(true);
    expect(calls.consume).to.equal(1);
    expect((await limiter.get('ip'))?.consumedPoints).to.equal(100);
    await limiter.flush();
    expect(calls.consume).to.equal(2);
    expect((await store.get('ip'))?.consumedPoints).to.equal(100);
  });

  it('takes a reward back from the points counted in process, without losing the others', async () => {
    const { store } = countingStore(1000);
    const limiter = new BatchedRateLimiter(store, 10_000);
    for (let i = 0; i < 10; i += 1) await limiter.consume('account');
    await limiter.reward('account', 1);
    expect((await limiter.get('account'))?.consumedPoints).to.equal(9);
    await limiter.flush();
    expect((await store.get('account'))?.consumedPoints).to.equal(9);
  });

  it('answers in process, without a promise, only while a key is known and far below the limit', async () => {
    const { store, calls } = countingStore(10);
    const limiter = new BatchedRateLimiter(store, 10_000);
    // Nothing known yet: the store must decide.
    expect(limiter.consumeInProcess('ip')).to.equal(undefined);
    expect(limiter.getInProcess('ip')).to.equal(undefined);
    expect(await allowed(limiter.consume('ip'))).to.equal(true);
    expect(calls.consume).to.equal(1);
    const counted = limiter.consumeInProcess('ip');
    expect(counted).to.be.instanceOf(RateLimiterRes);
    expect(counted?.consumedPoints).to.equal(2);
    expect(limiter.getInProcess('ip')?.consumedPoints).to.equal(2);
    for (let i = 0; i < 3; i += 1) expect(limiter.consumeInProcess('ip')?.consumedPoints).to.equal(3 + i);
    // At half the limit (5 of 10) the next point goes to the store, with what is pending here.
    expect(limiter.consumeInProcess('ip')).to.equal(undefined);
    expect(limiter.getInProcess('ip')?.consumedPoints).to.equal(5);
    expect(calls.consume).to.equal(1);
    expect(await allowed(limiter.consume('ip'))).to.equal(true);
    expect(calls.consume).to.equal(2);
    expect((await store.get('ip'))?.consumedPoints).to.equal(6);
    expect(limiter.getInProcess('ip')).to.equal(undefined);
  });

  it('asks the store for every request from half the limit on and refuses exactly after the limit', async () => {
    const { store } = countingStore(10);
    const limiter = new BatchedRateLimiter(store, 10_000);
    const results: boolean[] = [];
    for (let i = 0; i < 12; i += 1) results.push(await allowed(limiter.consume('client')));
    expect(results).to.deep.equal([...Array(10).fill(true), false, false]);
    expect((await store.get('client'))?.consumedPoints).to.equal(12);
  });

  it('lets another instance see the counts once flushed, and both refuse at the shared limit', async () => {
    const { store } = countingStore(20);
    const a = new BatchedRateLimiter(store, 10_000, 50);
    const b = new BatchedRateLimiter(store, 10_000, 50);
    for (let i = 0; i < 8; i += 1) expect(await allowed(a.consume('k'))).to.equal(true);
    await a.flush();
    const results: boolean[] = [];
    for (let i = 0; i < 14; i += 1) results.push(await allowed(b.consume('k')));
    expect(results).to.deep.equal([...Array(12).fill(true), false, false]);
    // What the store told `a` is too old to count on: it asks again and is refused.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await allowed(a.consume('k'))).to.equal(false);
  });
});
