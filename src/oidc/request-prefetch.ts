// Rows read ahead for the request being served. When oidc-provider finds a token it next reads the
// token's grant and often its session, each in a round trip of its own; the adapter reads all three
// in one and keeps the two related rows here, for this request only, each served at most once.
// Any write the request makes forgets them, so nothing read ahead outlives a change the request
// itself made; across requests nothing is shared (the key is the request's own context object).
import type { ModelRow } from '../repositories/oidc-models.js';

export const grantKey = (id: string) => `Grant\u0000${id}`;
export const sessionUidKey = (uid: string) => `Session\u0000uid\u0000${uid}`;

export class RequestPrefetch {
  private readonly byRequest = new WeakMap<object, Map<string, ModelRow>>();

  /** `currentRequest` names the request being served (oidc-provider's async context), if any. */
  constructor(private readonly currentRequest: () => object | undefined) {}

  /** Whether rows can be kept: only inside a request. */
  get active(): boolean {
    return this.currentRequest() !== undefined;
  }

  keep(key: string, row: ModelRow): void {
    const request = this.currentRequest();
    if (!request) return;
    let rows = this.byRequest.get(request);
    if (!rows) this.byRequest.set(request, (rows = new Map()));
    rows.set(key, row);
  }

  /** The row kept under `key` for this request, removed as it is handed out. */
  take(key: string): ModelRow | undefined {
    const request = this.currentRequest();
    const rows = request && this.byRequest.get(request);
    const row = rows?.get(key);
    if (row) rows!.delete(key);
    return row;
  }

  /** Drops every row kept for this request (it is about to write). */
  forget(): void {
    const request = this.currentRequest();
    if (request) this.byRequest.delete(request);
  }
}
