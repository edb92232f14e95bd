// Counts and times every request by method, route and status. The route is oidc-provider's
// endpoint name (token, authorization, ...) or the router's path pattern (/interaction/:uid/login),
// never the raw path, which would carry ids and create a time series per request.
import type { Context, Middleware } from 'koa';

import type { GatehouseMetrics } from '../metrics/metrics.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function routeOf(ctx: Context): string {
  const oidcRoute = (ctx as { oidc?: { route?: string } }).oidc?.route ?? (ctx.state.route as string | undefined);
  if (oidcRoute) return oidcRoute;
  const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
  return matched ? String(matched) : 'unmatched';
}

export default function httpMetrics(metrics: GatehouseMetrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    metrics.httpInFlight.inc();
    try {
      await next();
    } finally {
      metrics.httpInFlight.dec();
      const route = routeOf(ctx);
      const labels = { method: METHODS.has(ctx.method) ? ctx.method : 'OTHER', route, status: String(ctx.status) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      if (route === 'introspection' && ctx.status === 200) {
        const body = ctx.body as { active?: unknown } | undefined;
        if (body && typeof body === 'object' && 'active' in body) {
          metrics.introspections.inc({ result: body.active === true ? 'active' : 'inactive' });
        }
      }
    }
  };
}
