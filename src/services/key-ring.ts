// The signing keys this instance holds in memory, reloaded when any instance changes them.
import type { KeyObject } from 'node:crypto';

import type { ChangeFeed } from './change-feed.js';
import type { Logger } from './logger.js';
import type { LoadedKeys, SigningKeyService } from './signing-keys.js';

export const SIGNING_KEY_TOPIC = 'signing-key';

export class KeyRing {
  private loaded: LoadedKeys | undefined;
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

  async reload(): Promise<LoadedKeys> {
    const keys = await this.service.load();
    this.loaded = keys;
    for (const listener of this.listeners) listener(keys);
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
}
