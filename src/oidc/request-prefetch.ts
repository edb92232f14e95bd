// Rows read ahead for the request being served. When oidc-provider finds a token it next reads the
// token's grant and often its session, each in a round trip of its own; the adapter reads all three
// in one and keeps the two related rows here, for this request only, each served at most once.
// Any write the request makes forgets them, so nothing read ahead outlives a change the request
// itself made; across requests nothing is shared (the key is the request's own context object).
import type { ModelRow } from '../repositories/oidc-models.js';
import { RequestScoped } from './request-scoped.js';

export const grantKey = (id: string) => `Grant\u0000${id}`;
export const sessionUidKey = (uid: string) => `Session\u0000uid\u0000${uid}`;

export class RequestPrefetch {
  private readonly rows: RequestScoped<Map<string, ModelRow>>;
  // Users apart from the rows: the adapter's writes (a code consumed) do not change a user, so a
  // user read with the token stays good for the account lookup after them.
  private readonly users: RequestScoped<Map<string, Record<string, unknown>>>;

  /** `currentRequest` names the request being served (oidc-provider's async context), if any. */
  constructor(private readonly currentRequest: () => object | undefined) {
    this.rows = new RequestScoped(currentRequest, () => new Map());
    this.users = new RequestScoped(currentRequest, () => new Map());
  }

  /** Whether rows can be kept: only inside a request. */
  get active(): boolean {
    return this.currentRequest() !== undefined;
  }

  keep(key: string, row: ModelRow): void {
    this.rows.get()?.set(key, row);
  }

  /** The row kept under `key` for this request, removed as it is handed out. */
  take(key: string): ModelRow | undefined {
    return takeFrom(this.rows.peek(), key);
  }

  /** Keeps a token's user (the users row as JSON) for the account lookup of this request. */
  keepUser(id: string, user: Record<string, unknown>): void {
    this.users.get()?.set(id, user);
  }

  /** The user kept for this request under its id, removed as it is handed out. */
  takeUser(id: string): Record<string, unknown> | undefined {
    return takeFrom(this.users.peek(), id);
  }

  /** Drops every row kept for this request (it is about to write). */
  forget(): void {
    this.rows.drop();
  }
}

function takeFrom<T>(kept: Map<string, T> | undefined, key: string): T | undefined {
  const value = kept?.get(key);
  if (value !== undefined) kept!.delete(key);
  return value;
}
