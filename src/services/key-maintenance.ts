// The background duty of every instance: persist key transitions, keep retired keys published as
// long as their tokens may live, and rotate on schedule. All instances run it; the key-set lock
// (and re-checking under it) makes one of them act and the others find nothing left to do.
import type { KeyRotation } from './key-rotation.js';
import type { Logger } from './logger.js';

export const KEY_MAINTENANCE_INTERVAL_MS = 60_000;

export class KeyMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly rotation: KeyRotation,
    private readonly logger: Logger,
    private readonly intervalMs = KEY_MAINTENANCE_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
    void this.runOnce();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round; never throws (a failed round is logged and retried at the next tick). Rounds never overlap. */
  runOnce(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      const changed = await this.rotation.maintain();
      if (changed) this.logger.info({ changes: changed }, 'signing key transitions recorded');
      const rotated = await this.rotation.rotateDue();
      for (const key of rotated) {
        this.logger.info({ kid: key.kid, alg: key.alg, activates_at: key.activatesAt.toISOString() }, 'scheduled signing key rotation: successor published');
      }
    } catch (error) {
      this.logger.error({ err: error }, 'signing key maintenance failed; retrying at the next tick');
    }
  }
}
