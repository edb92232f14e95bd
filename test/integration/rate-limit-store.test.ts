// Rate-limit counters are shared between instances (Redis or Postgres) and survive a store outage
// by falling back to a per-process limiter.
import { expect } from 'chai';

import { RateLimitStore } from '../../src/repositories/rate-limit-store.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';

const redisUrl = process.env.TEST_REDIS_URL;
const unique = () => `test-${Date.now()}-${Math.random().toString(36).slice(2)}`;

async function consumeAll(limiter: { consume(key: string): Promise<unknown> }, key: string, times: number) {
  const results: boolean[] = [];
  for (let i = 0; i < times; i += 1) results.push(await limiter.consume(key).then(() => true, () => false));
  return results;
}

describe('rate-limit store', () => {
  let testDb: TestDatabase;
  before(async () => {
    testDb = await createTestDatabase();
  });
  after(async () => testDb?.drop());

  it('shares counters between two instances through Postgres', async function () {
    if (defaultKind() !== 'postgres') this.skip();
    const a = new RateLimitStore({ redisUrl: undefined, knex: testDb.database.knex });
    const b = new RateLimitStore({ redisUrl: undefined, knex: testDb.database.knex });
    expect(a.backend).to.equal('postgres');
    const prefix = unique();
    const la = a.create(prefix, { points: 3, durationSeconds: 60 });
    const lb = b.create(prefix, { points: 3, durationSeconds: 60 });
    expect(await consumeAll(la, 'k', 2)).to.deep.equal([true, true]);
    expect(await consumeAll(lb, 'k', 2)).to.deep.equal([true, false]);
  });

  it('shares counters between two instances through Redis', async function () {
    if (!redisUrl) this.skip();
    const a = new RateLimitStore({ redisUrl, knex: undefined });
    const b = new RateLimitStore({ redisUrl, knex: undefined });
    try {
      const prefix = unique();
      const la = a.create(prefix, { points: 3, durationSeconds: 60 });
      const lb = b.create(prefix, { points: 3, durationSeconds: 60 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await consumeAll(la, 'k', 2)).to.deep.equal([true, true]);
      expect(await consumeAll(lb, 'k', 2)).to.deep.equal([true, false]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps limiting with the per-process fallback when Redis is unreachable', async () => {
    const errors: unknown[] = [];
    const store = new RateLimitStore({ redisUrl: 'redis://127.0.0.1:1', knex: undefined, onStoreError: (_b, e) => errors.push(e) });
    try {
      const limiter = store.create(unique(), { points: 2, durationSeconds: 60 });
      expect(await consumeAll(limiter, 'k', 3)).to.deep.equal([true, true, false]);
    } finally {
      await store.close();
    }
  });
});
