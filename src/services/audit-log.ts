// Records security events without slowing the request that caused them: events are buffered and
// written in batches, flushed on a timer, when the buffer fills, and on shutdown (never dropped on
// a graceful stop). A failed write is retried with the next batch.
import type { AuditEvent, AuditEventRepository } from '../repositories/audit-events.js';
import { FailureState } from './failure-state.js';
import type { Logger } from './logger.js';

export type AuditInput = Omit<AuditEvent, 'occurredAt'> & { occurredAt?: Date };

const MAX_BUFFER = 10_000;

export class AuditLog {
  private buffer: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly listeners: ((event: AuditEvent) => void)[] = [];
  private readonly writes: FailureState;

  constructor(
    private readonly repository: AuditEventRepository,
    private readonly logger: Logger,
    private readonly options: { flushIntervalMs: number; batchSize: number } = { flushIntervalMs: 500, batchSize: 200 },
  ) {
    this.writes = new FailureState({
      logger,
      level: 'error',
      failing: 'writing audit events failed; will retry',
      recovered: 'writing audit events works again; the buffered events are stored',
    });
  }

  record(input: AuditInput): void {
    const event: AuditEvent = { ...input, occurredAt: input.occurredAt ?? new Date() };
    if (this.buffer.length >= MAX_BUFFER) {
      this.logger.error({ type: event.type }, 'audit buffer full; dropping the oldest event');
      this.buffer.shift();
    }
    this.buffer.push(event);
    for (const listener of this.listeners) listener(event);
    if (this.buffer.length >= this.options.batchSize) void this.flush();
    else this.schedule();
  }

  /** For metrics and tests: every recorded event, as it is recorded. */
  onRecord(listener: (event: AuditEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Writes everything buffered so far; resolves when it is stored. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.buffer.length) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.repository
      .insertMany(batch)
      .then(() => this.writes.succeeded())
      .catch((error: unknown) => {
        // Once when writes start failing and once when they work again, not at every retry.
        this.writes.failed(error);
        this.buffer = [...batch, ...this.buffer].slice(-MAX_BUFFER);
        this.schedule();
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushIntervalMs);
    this.timer.unref();
  }
}
