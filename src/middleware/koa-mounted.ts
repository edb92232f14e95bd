// Runs a middleware only for the requests it is about; every other request goes straight on,
// without the middleware's async frame. On the token endpoint's hot path that frame (a promise or
// three per layer, each through oidc-provider's async-context hooks) is a measurable share of the cost.
import type { Context, Next } from 'koa';

type AnyMiddleware<C> = (ctx: C, next: Next) => unknown;

/** `middleware` for requests where `applies` says so; the rest pass through. */
export function onlyWhen<C extends Context = Context>(applies: (ctx: C) => boolean, middleware: AnyMiddleware<C>): (ctx: C, next: Next) => unknown {
  return (ctx, next) => (applies(ctx) ? middleware(ctx, next) : next());
}

/** A router only for requests below its own paths (each router otherwise matches every request against every route). */
export function mountedAt<C extends Context>(prefixes: readonly string[], middleware: AnyMiddleware<C> & { router?: unknown }) {
  const owns = (ctx: C) => prefixes.some((prefix) => ctx.path === prefix || ctx.path.startsWith(`${prefix}/`));
  // @koa/router's middleware carries its router: keep it reachable (route listings, tests).
  return Object.assign(onlyWhen(owns, middleware), { router: middleware.router });
}
