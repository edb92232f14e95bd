// Runs a router only for requests below its own paths. Each router otherwise matches every request
// against every one of its routes (the admin API alone has dozens), on the token endpoint's hot path too.
import type { Context, Next } from 'koa';

export function mountedAt<C extends Context>(prefixes: readonly string[], middleware: ((ctx: C, next: Next) => unknown) & { router?: unknown }) {
  const owns = (path: string) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const mounted = (ctx: C, next: Next): unknown => (owns(ctx.path) ? middleware(ctx, next) : next());
  // @koa/router's middleware carries its router: keep it reachable (route listings, tests).
  return Object.assign(mounted, { router: middleware.router });
}
