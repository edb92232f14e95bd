// A value kept for the request being served (oidc-provider's async context names it) and for no
// other: made on first use, gone with the request (the key is the request's own context object).
export class RequestScoped<T> {
  private readonly byRequest = new WeakMap<object, T>();

  constructor(
    private readonly currentRequest: () => object | undefined,
    private readonly create: () => T,
  ) {}

  /** This request's value, made now if it has none; undefined outside a request. */
  get(): T | undefined {
    const request = this.currentRequest();
    if (!request) return undefined;
    let value = this.byRequest.get(request);
    if (value === undefined) this.byRequest.set(request, (value = this.create()));
    return value;
  }

  /** This request's value if it has one already (nothing is made). */
  peek(): T | undefined {
    const request = this.currentRequest();
    return request && this.byRequest.get(request);
  }

  /** Forgets this request's value. */
  drop(): void {
    const request = this.currentRequest();
    if (request) this.byRequest.delete(request);
  }
}
