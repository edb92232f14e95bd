// Counts events per source (an IP address) over a sliding window, to answer "how many from the
// busiest single source lately?" without putting addresses into metric labels (unbounded series).
const BUCKET_MS = 60_000;
const MAX_SOURCES_PER_BUCKET = 50_000;

export class SourceWindow {
  private readonly buckets = new Map<number, Map<string, number>>();

  constructor(
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  record(source: string): void {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    let counts = this.buckets.get(bucket);
    if (!counts) {
      counts = new Map();
      this.buckets.set(bucket, counts);
      this.dropOld(bucket);
    }
    // Memory stays bounded under a flood of distinct sources; the busiest ones are already counted.
    if (counts.size >= MAX_SOURCES_PER_BUCKET && !counts.has(source)) return;
    counts.set(source, (counts.get(source) ?? 0) + 1);
  }

  /** The largest count any single source reached within the window. */
  topCount(): number {
    const current = Math.floor(this.now() / BUCKET_MS);
    this.dropOld(current);
    const totals = new Map<string, number>();
    let top = 0;
    for (const counts of this.buckets.values()) {
      for (const [source, count] of counts) {
        const total = (totals.get(source) ?? 0) + count;
        totals.set(source, total);
        if (total > top) top = total;
      }
    }
    return top;
  }

  private dropOld(currentBucket: number): void {
    const oldest = currentBucket - Math.ceil(this.windowMs / BUCKET_MS) + 1;
    for (const bucket of this.buckets.keys()) {
      if (bucket < oldest) this.buckets.delete(bucket);
    }
  }
}
