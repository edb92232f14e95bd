// Where rate-limit counters live: Redis when REDIS_URL is set (shared by all instances), else the
// Postgres rate_limits table (shared too), else process memory (the embedded database has one
// process anyway). Redis and Postgres limiters fall back to a per-process limiter when their store
// fails, so an outage of the store neither blocks everyone nor lifts every limit.
import type { Knex } from 'knex';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

import { BatchedRateLimiter } from '../services/batched-rate-limiter.js';

export interface LimitPolicy {
  /** Requests allowed per window. */
  points: number;
  durationSeconds: number;
  /** Once over the limit, refuse for this long (0: until the window ends). */
  blockSeconds?: number;
}

/**
 * consume(), answered with the counter state whether the point was within the limit or not (over it
 * when `consumedPoints > limiter.points`); a failing store still throws.
 */
export async function consumeCounting(limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw rejection;
  }
}

export type RateLimitBackend = 'redis' | 'postgres' | 'memory';

export interface RateLimitStoreOptions {
  redisUrl: string | undefined;
  /** In front of every key (REDIS_KEY_PREFIX); "gh:" unless given. */
  keyPrefix?: string;
  knex: Knex | undefined;
  onStoreError?: (backend: RateLimitBackend, error: unknown) => void;
  /** The store answers again (Redis reconnected). */
  onStoreRecovered?: (backend: RateLimitBackend) => void;
}

export class RateLimitStore {
  readonly backend: RateLimitBackend;
  private redis: Redis | undefined;
  private readonly batched: BatchedRateLimiter[] = [];

  constructor(private readonly options: RateLimitStoreOptions) {
    this.backend = options.redisUrl ? 'redis' : options.knex ? 'postgres' : 'memory';
  }

  create(keyPrefix: string, policy: LimitPolicy): RateLimiterAbstract {
    const base = {
      keyPrefix: `${this.options.keyPrefix ?? 'gh:'}${keyPrefix}`,
      points: policy.points,
      duration: policy.durationSeconds,
      blockDuration: policy.blockSeconds ?? 0,
    };
    const insuranceLimiter = new RateLimiterMemory(base);
    if (this.backend === 'redis') {
      return this.batch(new RateLimiterRedis({ ...base, storeClient: this.redisClient(), rejectIfRedisNotReady: true, insuranceLimiter }));
    }
    if (this.backend === 'postgres') {
      return this.batch(new RateLimiterPostgres({
        ...base,
        storeClient: this.options.knex,
        storeType: 'knex',
        tableName: 'rate_limits',
        // Created by a migration; the janitor removes expired rows.
        tableCreated: true,
        clearExpiredByTimeout: false,
        insuranceLimiter,
      }));
    }
    return new RateLimiterMemory(base);
  }

  async close(): Promise<void> {
    await Promise.all(this.batched.map((limiter) => limiter.flush()));
    if (this.redis) {
      this.redis.disconnect();
      this.redis = undefined;
    }
  }

  /** Counted in process while far below the limit, written in batches (services/batched-rate-limiter.ts). */
  private batch(store: RateLimiterAbstract): RateLimiterAbstract {
    const limiter = new BatchedRateLimiter(store);
    this.batched.push(limiter);
    // It implements every method of the library's limiters that a caller uses, with their semantics.
    return limiter as unknown as RateLimiterAbstract;
  }

  private redisClient(): Redis {
    if (!this.redis) {
      this.redis = new Redis(this.options.redisUrl!, {
        // Fail fast so the insurance limiter takes over instead of requests waiting on Redis.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: 500,
        lazyConnect: false,
      });
      this.redis.on('error', (error) => this.options.onStoreError?.('redis', error));
      this.redis.on('ready', () => this.options.onStoreRecovered?.('redis'));
    }
    return this.redis;
  }
}
