// Keeps the store from growing without bound: removes expired sessions, grants, codes and refresh
// tokens, long-used single-use tokens, expired revocations, old change events, expired rate-limit
// counters and audit events past retention. In batches, one instance at a time, within a time budget.
import type { JanitorConfig } from '../config/operations-config.js';
import { sweepsFor, type HousekeepingRepository, type SweepName } from '../repositories/housekeeping.js';
import type { Logger } from './logger.js';


/** How long an expired device code stays readable: a device polling late is told expired_token. */
const EXPIRED_DEVICE_CODE_RETENTION_SECONDS = 600;
export type JanitorTable = 'oidc_models' | 'token_revocations' | 'change_events' | 'rate_limits' | 'audit_events';

export interface JanitorReport {
  /** Another instance held the lock: nothing was done. */
  skipped: boolean;
  /** False when the time budget ran out (or a stop was asked for) before everything was swept. */
  complete: boolean;
  deleted: Record<JanitorTable, number>;
  durationMs: number;
}

const tableOf = (sweep: SweepName): JanitorTable => sweep.split('.')[0] as JanitorTable;

export class Janitor {
  constructor(
    private readonly store: HousekeepingRepository,
    private readonly options: JanitorConfig & {
      /** Take the advisory lock (a Postgres server; the embedded database has one process anyway). */
      serialise: boolean;
    },
  ) {}

  async runOnce({ signal }: { signal?: AbortSignal } = {}): Promise<JanitorReport> {
    const started = Date.now();
    const deleted: Record<JanitorTable, number> = { oidc_models: 0, token_revocations: 0, change_events: 0, rate_limits: 0, audit_events: 0 };
    const sweep = async (): Promise<boolean> => {
      const now = Date.now();
      const sweeps = sweepsFor({
        consumedBefore: new Date(now - this.options.consumedRetentionSeconds * 1000),
        expiredDeviceCodesBefore: new Date(now - EXPIRED_DEVICE_CODE_RETENTION_SECONDS * 1000),
        changeEventsBefore: new Date(now - this.options.changeEventRetentionSeconds * 1000),
        auditEventsBefore: this.options.auditRetentionSeconds > 0 ? new Date(now - this.options.auditRetentionSeconds * 1000) : undefined,
      });
      for (const s of sweeps) {
        for (;;) {
          if (signal?.aborted || Date.now() - started > this.options.maxRunMs) return false;
          const count = await this.store.deleteBatch(s, this.options.batchSize, this.options.statementTimeoutMs);
          deleted[tableOf(s.name)] += count;
          if (count < this.options.batchSize) break;
          // Let other work in between batches (and other instances' queries on the same rows).
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      return true;
    };
    const complete = this.options.serialise ? await this.store.withLock(sweep) : await sweep();
    return { skipped: complete === undefined, complete: complete === true, deleted, durationMs: Date.now() - started };
  }
}

/** Runs the janitor every `intervalSeconds` inside the server, starting at a random offset so instances spread out. */
export class JanitorSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly janitor: Janitor,
    private readonly intervalSeconds: number,
    private readonly logger: Logger,
    private readonly onReport: (report: JanitorReport) => void = () => {},
    private readonly onFailure: (error: unknown) => void = () => {},
  ) {}

  start(): void {
    if (this.intervalSeconds <= 0) return;
    this.schedule(Math.random() * Math.min(this.intervalSeconds, 60) * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.abort.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.running = this.janitor
        .runOnce({ signal: this.abort.signal })
        .then((report) => {
          this.onReport(report);
          if (!report.skipped) this.logger.info({ janitor: report }, 'janitor run finished');
        })
        .catch((error: unknown) => {
          this.onFailure(error);
          this.logger.warn({ err: error }, 'janitor run failed; will try again at the next interval');
        })
        .finally(() => {
          this.running = undefined;
          this.schedule(this.intervalSeconds * 1000);
        });
    }, delayMs);
    this.timer.unref();
  }
}
