// A failure that repeats while it lasts (a store that is down, retried every few hundred ms) is
// logged once when it starts and once when it ends, with how often it failed, not once per retry.
import type { Logger } from './logger.js';

export interface FailureStateOptions {
  logger: Logger;
  level: 'warn' | 'error';
  failing: string;
  recovered: string;
  fields?: Record<string, unknown>;
  now?: () => number;
}

export class FailureState {
  private since: number | undefined;
  private failures = 0;

  constructor(private readonly options: FailureStateOptions) {}

  get failing(): boolean {
    return this.since !== undefined;
  }

  failed(error: unknown): void {
    this.failures += 1;
    if (this.since !== undefined) return;
    this.since = (this.options.now ?? Date.now)();
    this.options.logger[this.options.level]({ ...this.options.fields, err: error }, this.options.failing);
  }

  succeeded(): void {
    if (this.since === undefined) return;
    const failedForMs = (this.options.now ?? Date.now)() - this.since;
    this.options.logger.info({ ...this.options.fields, failures: this.failures, failed_for_ms: failedForMs }, this.options.recovered);
    this.since = undefined;
    this.failures = 0;
  }
}
