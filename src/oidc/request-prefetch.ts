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
  // Users apart from the rows: the adapter's writes (a code consumed) do not change a user, so a
  // user read with the token stays good for the account lookup after them.
  private readonly usersByRequest = new WeakMap<object, Map<string, Record<string, unknown>>>();

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

  /** Keeps a token's user (the users row as JSON) for the account lookup of this request. */
  keepUser(id: string, user: Record<string, unknown>): void {
    const request = this.currentRequest();
    if (!request) return;
    let users = this.usersByRequest.get(request);
    if (!users) this.usersByRequest.set(request, (users = new Map()));
    users.set(id, user);
  }

  /** The user kept for this request under its id, removed as it is handed out. */
  takeUser(id: string): Record<string, unknown> | undefined {
    const request = this.currentRequest();
    const users = request && this.usersByRequest.get(request);
    const user = users?.get(id);
    if (user) users!.delete(id);
    return user;
  }

  /** Drops every row kept for this request (it is about to write). */
  forget(): void {
    const request = this.currentRequest();
    if (request) this.byRequest.delete(request);
  }
}
