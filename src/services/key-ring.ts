// The signing keys this instance holds in memory. Reloaded from the database when any instance
// changes them (change feed), and recomputed without the database at every moment a key changes
// state (a successor starts signing, a retired key leaves the JWKS): no event announces those.
import type { KeyObject } from 'node:crypto';

import type { ChangeFeed } from './change-feed.js';
import type { Logger } from './logger.js';
import { keysAt, type DecryptedKeys, type LoadedKeys, type SigningKeyService } from './signing-keys.js';

export const SIGNING_KEY_TOPIC = 'signing-key';

// setTimeout cannot wait longer than ~24.8 days; waking hourly also bounds any drift.
const MAX_TIMER_MS = 3600_000;
// Timers may fire a hair early; recomputing just after the boundary avoids a wasted wake-up.
const TIMER_SLACK_MS = 5;

export class KeyRing {
  private decrypted: DecryptedKeys | undefined;
  private loaded: LoadedKeys | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Which keys sign and which only verify, as last handed to listeners. */
  private published = '';
  private readonly listeners: ((keys: LoadedKeys) => void)[] = [];

  constructor(
    private readonly service: SigningKeyService,
    feed: ChangeFeed,
    private readonly logger: Logger,
  ) {
    feed.on(SIGNING_KEY_TOPIC, () => {
      this.reload().catch((error: unknown) => this.logger.error({ err: error }, 'reloading signing keys failed; keeping the previous keys'));
    });
  }

  /** Reads and decrypts the stored keys, then publishes what is valid now. */
  async reload(): Promise<LoadedKeys> {
    this.decrypted = await this.service.load();
    this.published = '';
    return this.recompute();
  }

  /** Derives the published and signing keys for `now` from the keys already in memory. */
  recompute(now = Date.now()): LoadedKeys {
    if (!this.decrypted) throw new Error('signing keys not loaded yet');
    const keys = keysAt(this.decrypted, now);
    this.loaded = keys;
    const published = keys.records.map((k) => `${k.kid}:${k.state}`).join(',');
    // A timer that woke without a transition (the hourly wake-up) changes nothing for oidc-provider.
    if (published !== this.published) {
      this.published = published;
      for (const listener of this.listeners) listener(keys);
    }
    this.schedule(keys.nextTransitionAt, now);
    return keys;
  }

  get keys(): LoadedKeys {
    if (!this.loaded) throw new Error('signing keys not loaded yet');
    return this.loaded;
  }

  verificationKey(kid: string): { alg: string; key: KeyObject } | undefined {
    return this.loaded?.verificationKeys.get(kid);
  }

  onReload(listener: (keys: LoadedKeys) => void): void {
    this.listeners.push(listener);
  }

  /** Stops the transition timer (the change-feed subscription ends with the feed). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(at: Date | undefined, now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!at || this.stopped) return;
    const delay = Math.min(Math.max(at.getTime() - now, 0) + TIMER_SLACK_MS, MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.recompute();
      } catch (error) {
        this.logger.error({ err: error }, 'recomputing signing keys failed');
      }
    }, delay);
    this.timer.unref();
  }
}
