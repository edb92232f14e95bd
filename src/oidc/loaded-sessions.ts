// Which sign-in sessions the request being served read from the database. oidc-provider saves a
// session at the end of every request that used it; saved as an upsert, a session that was ended
// while the request was in flight ("Sign out everywhere", a password change, signing one browser
// out) came back to life. A session this request read is therefore saved only if it still exists;
// one it did not read is a new one (a first visit, or the new id a sign-in gives it) and is inserted.
export class LoadedSessions {
  private readonly byRequest = new WeakMap<object, Set<string>>();

  /** `currentRequest` names the request being served (oidc-provider's async context), if any. */
  constructor(private readonly currentRequest: () => object | undefined) {}

  /** Notes that this request read the session with this id. */
  loaded(id: string): void {
    const request = this.currentRequest();
    if (!request) return;
    let ids = this.byRequest.get(request);
    if (!ids) this.byRequest.set(request, (ids = new Set()));
    ids.add(id);
  }

  /** Whether this request read the session with this id (then it may only be updated, not re-created). */
  wasLoaded(id: string): boolean {
    const request = this.currentRequest();
    return request !== undefined && (this.byRequest.get(request)?.has(id) ?? false);
  }
}
