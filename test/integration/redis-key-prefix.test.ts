// REDIS_KEY_PREFIX: two deployments sharing one Redis database keep their rate-limit counters apart.
import { expect } from 'chai';
import { Redis } from 'ioredis';

import { loadConfig } from '../../src/config/config.js';
import { RateLimitStore } from '../../src/repositories/rate-limit-store.js';
import { testEnv } from '../helpers/test-config.js';

const redisUrl = process.env.TEST_REDIS_URL;

async function consumeAll(limiter: { consume(key: string): Promise<unknown> }, key: string, times: number) {
  const results: boolean[] = [];
  for (let i = 0; i < times; i += 1) results.push(await limiter.consume(key).then(() => true, () => false));
  return results;
}

describe('Redis key prefix (REDIS_KEY_PREFIX)', () => {
  it('defaults to "gh:"', () => {
    expect(loadConfig(testEnv()).redisKeyPrefix).to.equal('gh:');
    expect(loadConfig(testEnv({ REDIS_KEY_PREFIX: 'staging:' })).redisKeyPrefix).to.equal('staging:');
  });

  it('keeps the counters of two deployments on one Redis database apart, and writes its keys under the prefix', async function () {
    if (!redisUrl) this.skip();
    const run = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const staging = new RateLimitStore({ redisUrl, keyPrefix: `staging-${run}:`, knex: undefined });
    const production = new RateLimitStore({ redisUrl, keyPrefix: `production-${run}:`, knex: undefined });
    const redis = new Redis(redisUrl);
    try {
      // Above half the limit every request goes to the store (batched-rate-limiter.ts), so 2 points reach Redis.
      const policy = { points: 2, durationSeconds: 60 };
      const a = staging.create('token-ip', policy);
      const b = production.create('token-ip', policy);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await consumeAll(a, '203.0.113.7', 3)).to.deep.equal([true, true, false]);
      expect(await consumeAll(b, '203.0.113.7', 2)).to.deep.equal([true, true]);
      expect(await redis.keys(`staging-${run}:*`)).to.have.length(1);
      expect(await redis.keys(`production-${run}:*`)).to.have.length(1);
    } finally {
      await staging.close();
      await production.close();
      redis.disconnect();
    }
  });
});
