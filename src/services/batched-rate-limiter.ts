// A shared rate limiter (Postgres or Redis) with counting done in process while a key is far below
// its limit: a busy client or address otherwise sends every request through one hot row (or key),
// and 64 concurrent requests then queue on its row lock. Below half the limit, requests are counted
// here and added to the store in one write per key every `flushMs`; from half the limit on, every
// request goes to the store and waits for its answer, so the limit itself is as exact as the store's.
// Other instances see this one's counts after at most `flushMs`, and each trusts what the store told
// it for at most `maxStaleMs`: beyond the limit, an instance can admit at most what it counts in
// process meanwhile (never more than half the limit).
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

interface KeyState {
  /** Points the store counted, as of its last answer. */
  stored: number;
  /** Points counted here and not yet added to the store. */
  pending: number;
  /** When the store's window for the key ends (ms since the epoch). */
  resetsAt: number;
  /** When the store last answered for the key: older knowledge is not trusted. */
  syncedAt: number;
}

const MAX_KEYS = 50_000;

/** The limiter methods Gatehouse calls, with the store's semantics (rate-limiter-flexible's API). */
export class BatchedRateLimiter {
  private readonly states = new Map<string, KeyState>();
  private timer: NodeJS.Timeout | undefined;
  readonly points: number;

  constructor(
    private readonly store: RateLimiterAbstract,
    private readonly flushMs = 100,
    /** Count in process only on what the store said this recently (an active key is re-read at every flush). */
    private readonly maxStaleMs = 1000,
  ) {
    this.points = store.points;
  }

  /**
   * consume's answer when it is decided in process (far below the limit), with no promise: the
   * token endpoint's hot path asks this first. Undefined when the store must decide.
   */
  consumeInProcess(key: string | number, points = 1): RateLimiterRes | undefined {
    const now = Date.now();
    const state = this.fresh(String(key), now);
    if (!state || state.stored + state.pending + points > this.points / 2) return undefined;
    state.pending += points;
    this.scheduleFlush();
    return this.answer(state, now);
  }

  /** get's answer when it is known in process, with no promise; undefined when the store must be asked. */
  getInProcess(key: string | number): RateLimiterRes | undefined {
    const now = Date.now();
    const state = this.fresh(String(key), now);
    if (!state || state.stored + state.pending > this.points / 2) return undefined;
    return this.answer(state, now);
  }

  /** The store's kind of answer, from what is counted for a key here. */
  private answer(state: KeyState, now: number): RateLimiterRes {
    const consumed = state.stored + state.pending;
    return new RateLimiterRes(this.points - consumed, state.resetsAt - now, consumed, false);
  }

  async consume(key: string | number, points = 1): Promise<RateLimiterRes> {
    const counted = this.consumeInProcess(key, points);
    if (counted) return counted;
    const id = String(key);
    const state = this.fresh(id, Date.now());
    // Near the limit (or nothing known): the store decides, with what is pending here added.
    const carried = state ? state.pending : 0;
    if (state) state.pending = 0;
    try {
      const res = await this.store.consume(id, points + carried);
      this.remember(id, res);
      return res;
    } catch (error) {
      if (error instanceof RateLimiterRes) this.remember(id, error);
      else if (state) state.pending += carried;
      throw error;
    }
  }

  async get(key: string | number): Promise<RateLimiterRes | null> {
    return this.getInProcess(key) ?? this.store.get(String(key));
  }

  async block(key: string | number, seconds: number): Promise<RateLimiterRes> {
    this.states.delete(String(key));
    return this.store.block(key, seconds);
  }

  async penalty(key: string | number, points?: number): Promise<RateLimiterRes> {
    this.states.delete(String(key));
    return this.store.penalty(key, points);
  }

  async reward(key: string | number, points = 1): Promise<RateLimiterRes> {
    const id = String(key);
    const state = this.states.get(id);
    // Points still counted only here are taken back here first (forgetting the key would drop them).
    const local = Math.min(state?.pending ?? 0, points);
    if (state) state.pending -= local;
    if (state && local === points) return this.answer(state, Date.now());
    this.states.delete(id);
    return this.store.reward(id, points - local);
  }

  async delete(key: string | number): Promise<boolean> {
    this.states.delete(String(key));
    return this.store.delete(key);
  }

  async set(key: string | number, points: number, secDuration: number): Promise<RateLimiterRes> {
    this.states.delete(String(key));
    return this.store.set(key, points, secDuration);
  }

  /** Adds every pending count to the store now (also on a timer). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const writes: Promise<void>[] = [];
    for (const [id, state] of this.states) {
      if (!state.pending) continue;
      const points = state.pending;
      state.pending = 0;
      writes.push(
        this.store.consume(id, points).then(
          (res) => this.remember(id, res),
          (error: unknown) => {
            // Over the limit in the store: the next request here goes to the store and is refused.
            if (error instanceof RateLimiterRes) this.remember(id, error);
            // The store failed: the count is kept for the next flush.
            else state.pending += points;
          },
        ),
      );
    }
    await Promise.all(writes);
  }

  private fresh(id: string, now: number): KeyState | undefined {
    const state = this.states.get(id);
    if (state && now < state.resetsAt && now - state.syncedAt <= this.maxStaleMs) return state;
    if (state && !state.pending) this.states.delete(id);
    return undefined;
  }

  private remember(id: string, res: RateLimiterRes): void {
    if (this.states.size >= MAX_KEYS && !this.states.has(id)) this.prune();
    const state = this.states.get(id);
    const resetsAt = Date.now() + res.msBeforeNext;
    if (state) {
      state.stored = res.consumedPoints;
      state.resetsAt = resetsAt;
      state.syncedAt = Date.now();
    } else {
      this.states.set(id, { stored: res.consumedPoints, pending: 0, resetsAt, syncedAt: Date.now() });
    }
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, state] of this.states) if (now >= state.resetsAt && !state.pending) this.states.delete(id);
    // Still full (a flood of distinct keys): forget the rest; they go to the store next time.
    if (this.states.size >= MAX_KEYS) for (const [id, state] of this.states) if (!state.pending) this.states.delete(id);
  }

  private scheduleFlush(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }
}
