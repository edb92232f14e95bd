// Tells every instance what changed (a client, an API, a key, a revoked token) so that in-process
// caches stay correct without reading the database per request. Events arrive at once by
// LISTEN/NOTIFY where available, and always by polling the change_events table, which also
// covers missed notifications, PgBouncer in transaction mode and the embedded database.
import type { Knex } from 'knex';

import type { ChangeEvent, ChangeEventRepository, StoredChangeEvent } from '../repositories/change-events.js';
import type { Logger } from './logger.js';

export type ChangeHandler = (event: ChangeEvent) => void;

export interface ListenerFactory {
  (handlers: { onNotification(payload: string): void; onConnected(): void; onError(error: Error): void }): {
    close(): Promise<void>;
  };
}

// Transactions commit out of created_at order; re-reading a trailing window catches late commits.
const OVERLAP_MS = 10_000;

export class ChangeFeed {
  private readonly handlers = new Map<string, ChangeHandler[]>();
  private readonly seen = new Map<string, number>();
  private since: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private listener: { close(): Promise<void> } | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly repository: ChangeEventRepository,
    private readonly logger: Logger,
    private readonly options: { pollMs: number; listen?: ListenerFactory },
  ) {}

  on(topic: string, handler: ChangeHandler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  /**
   * Records a change. Without `trx` this instance's handlers run at once; with `trx` the event becomes
   * visible at commit, and the caller passes the returned event to `deliver` after committing.
   */
  async publish(event: ChangeEvent, trx?: Knex.Transaction): Promise<StoredChangeEvent> {
    const stored = await this.repository.append(event, trx);
    if (!trx) this.deliver(stored);
    return stored;
  }

  /** Delivers an event to this instance's handlers now (after a local commit). */
  dispatch(event: ChangeEvent): void {
    for (const handler of this.handlers.get(event.topic) ?? []) {
      try {
        handler(event);
      } catch (error) {
        this.logger.error({ err: error, topic: event.topic }, 'change handler failed');
      }
    }
  }

  async start(): Promise<void> {
    this.since = await this.repository.databaseNow();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    this.listener = this.options.listen?.({
      onNotification: (payload) => this.onNotification(payload),
      onConnected: () => void this.poll(),
      onError: (error) => this.logger.warn({ err: error }, 'change feed listener lost its connection; polling continues'),
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.listener?.close();
    await this.polling;
  }

  /** Reads events since the last poll; safe to call at any time (calls do not overlap). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    if (!this.since) return;
    try {
      const { events, now } = await this.repository.listSince(new Date(this.since.getTime() - OVERLAP_MS));
      for (const event of events) this.deliver(event);
      this.since = now;
      this.forgetOlderThan(Date.now() - 3 * OVERLAP_MS);
    } catch (error) {
      this.logger.warn({ err: error }, 'change feed poll failed');
    }
  }

  /** Runs this instance's handlers for an event, once per event id. */
  deliver(event: StoredChangeEvent): void {
    if (this.seen.has(event.id)) return;
    this.seen.set(event.id, Date.now());
    this.dispatch(event);
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [id, at] of this.seen) {
      if (at >= cutoff) break;
      this.seen.delete(id);
    }
  }

  private onNotification(payload: string): void {
    try {
      const parsed = JSON.parse(payload) as { id: string; topic: string; key: string; expiresAt: string | null };
      this.deliver({
        id: String(parsed.id),
        topic: parsed.topic,
        key: parsed.key,
        expiresAt: parsed.expiresAt ? new Date(parsed.expiresAt) : null,
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'ignored a malformed change notification');
    }
  }
}
