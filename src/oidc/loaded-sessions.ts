// Which sign-in sessions the request being served read from the database. oidc-provider saves a
// session at the end of every request that used it; saved as an upsert, a session that was ended
// while the request was in flight ("Sign out everywhere", a password change, signing one browser
// out) came back to life. A session this request read is therefore saved only if it still exists;
// one it did not read is a new one (a first visit, or the new id a sign-in gives it) and is inserted.
import { RequestScoped } from './request-scoped.js';

export class LoadedSessions {
  private readonly ids: RequestScoped<Set<string>>;

  /** `currentRequest` names the request being served (oidc-provider's async context), if any. */
  constructor(currentRequest: () => object | undefined) {
    this.ids = new RequestScoped(currentRequest, () => new Set());
  }

  /** Notes that this request read the session with this id. */
  loaded(id: string): void {
    this.ids.get()?.add(id);
  }

  /** Whether this request read the session with this id (then it may only be updated, not re-created). */
  wasLoaded(id: string): boolean {
    return this.ids.peek()?.has(id) ?? false;
  }
}
