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
