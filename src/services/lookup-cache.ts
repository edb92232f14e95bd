// An in-process cache of database lookups (found or not found), bounded in size, invalidated by
// key through the change feed. Concurrent misses for one key share a single database read.
export class LookupCache<V> {
  private readonly entries = new Map<string, Promise<V | undefined>>();
  private generation = 0;

  constructor(
    private readonly load: (key: string) => Promise<V | undefined>,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): Promise<V | undefined> {
    const cached = this.entries.get(key);
    if (cached) return cached;
    const generation = this.generation;
    const pending = this.load(key).catch((error: unknown) => {
      // Never cache a failure: the next request retries the database.
      if (this.entries.get(key) === pending) this.entries.delete(key);
      throw error;
    });
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, pending);
    // A change that raced with this read must not leave the stale result cached.
    void pending.then(() => {
      if (generation !== this.generation && this.entries.get(key) === pending) this.entries.delete(key);
    }, () => {});
    return pending;
  }

  invalidate(key: string): void {
    this.entries.delete(key);
    this.generation += 1;
  }

  clear(): void {
    this.entries.clear();
    this.generation += 1;
  }
}
