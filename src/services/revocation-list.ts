// Which JWT access tokens are revoked: by jti, or every token of a grant. Held in memory so that
// introspection needs no database round trip; kept current across instances by the change feed.
import type { Revocation, RevocationKind, TokenRevocationRepository } from '../repositories/token-revocations.js';
import type { ChangeFeed } from './change-feed.js';

export const REVOCATION_TOPIC = 'revocation';

export class RevocationList {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly repository: TokenRevocationRepository,
    private readonly feed: ChangeFeed,
  ) {
    feed.on(REVOCATION_TOPIC, (event) => {
      if (event.expiresAt) this.remember(event.key, event.expiresAt.getTime());
    });
  }

  async load(): Promise<void> {
    for (const revocation of await this.repository.listActive()) {
      this.remember(keyOf(revocation.kind, revocation.value), revocation.expiresAt.getTime());
    }
  }

  isRevoked(jti: string, grantId: string | undefined): boolean {
    return this.has(keyOf('jti', jti)) || (grantId !== undefined && this.has(keyOf('grant', grantId)));
  }

  async revoke(kind: RevocationKind, value: string, expiresAt: Date): Promise<void> {
    const revocation: Revocation = { kind, value, expiresAt };
    this.remember(keyOf(kind, value), expiresAt.getTime());
    await this.repository.insert(revocation);
    await this.feed.publish({ topic: REVOCATION_TOPIC, key: keyOf(kind, value), expiresAt });
  }

  /** Drops entries whose tokens have all expired. */
  prune(now = Date.now()): void {
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private has(key: string): boolean {
    const expiresAt = this.entries.get(key);
    return expiresAt !== undefined && expiresAt > Date.now();
  }

  private remember(key: string, expiresAt: number): void {
    this.entries.set(key, Math.max(expiresAt, this.entries.get(key) ?? 0));
  }
}

function keyOf(kind: RevocationKind, value: string): string {
  return `${kind}:${value}`;
}
