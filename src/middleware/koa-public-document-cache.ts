// Serves the JWKS and the discovery document from memory. Both are public, identical for every
// plain request, and fetched far more often than they change, yet going through oidc-provider and
// the layers in front of it cost several times what writing the bytes does. A full response is
// captured the first time, then replayed (body and headers) until the keys change or it is a
// few seconds old. Requests that could be answered differently (a query, an Origin, conditional
// headers, other methods) always take the full path. So do requests addressed to another host:
// oidc-provider writes the endpoint URLs of the discovery document from the request's own host, and
// a document made for a forged Host header must never be replayed to anyone else.
import type { Context, Middleware, Next } from 'koa';

export interface PublicDocument {
  path: string;
  /** The route name metrics and the access log give these requests (as oidc-provider's would). */
  route: string;
}

interface Captured {
  body: string;
  headers: [string, string][];
  capturedAt: number;
}

// Set by the layers in front of this one on every response, or specific to one response.
const NOT_REPLAYED = new Set(['x-request-id', 'content-length', 'date', 'connection', 'keep-alive', 'set-cookie']);

function isPlainRead(ctx: Context, origin: string): boolean {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  // Scheme and host as the request states them (behind a trusted proxy, as the proxy forwards them).
  if (`${ctx.protocol}://${ctx.host}` !== origin) return false;
  if (ctx.querystring) return false;
  const headers = ctx.headers;
  return !headers.origin && !headers['if-none-match'] && !headers['if-modified-since'];
}

export interface PublicDocumentCache {
  middleware: Middleware;
  /** Forget every captured document (the keys changed). */
  invalidate(): void;
}

/** `origin`: the issuer's (scheme, host and port); only requests addressed to it are answered from memory. */
export function publicDocumentCache({ documents, maxAgeMs, origin }: { documents: PublicDocument[]; maxAgeMs: number; origin: string }): PublicDocumentCache {
  const routes = new Map(documents.map((d) => [d.path, d.route]));
  const captured = new Map<string, Captured>();
  // Bumped on invalidation, so a response computed before a key change is never stored after it.
  let generation = 0;

  const serve = async (ctx: Context, next: Next, route: string) => {
    ctx.state.route = route;
    const hit = captured.get(ctx.path);
    if (hit && Date.now() - hit.capturedAt < maxAgeMs) {
      ctx.status = 200;
      for (const [name, value] of hit.headers) ctx.set(name, value);
      ctx.body = hit.body;
      return;
    }
    const startedIn = generation;
    await next();
    if (ctx.status !== 200 || ctx.body == null || startedIn !== generation) return;
    const body = typeof ctx.body === 'string' ? ctx.body : Buffer.isBuffer(ctx.body) ? ctx.body.toString('utf8') : JSON.stringify(ctx.body);
    ctx.body = body;
    const headers = Object.entries(ctx.response.headers)
      .filter(([name]) => !NOT_REPLAYED.has(name.toLowerCase()))
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)] as [string, string]);
    captured.set(ctx.path, { body, headers, capturedAt: Date.now() });
  };
  const middleware: Middleware = (ctx, next) => {
    const route = routes.get(ctx.path);
    return route === undefined || !isPlainRead(ctx, origin) ? next() : serve(ctx, next, route);
  };

  return {
    middleware,
    invalidate() {
      generation += 1;
      captured.clear();
    },
  };
}
