// A database outage is a 503 with Retry-After, never a 500 and never a hang: OAuth endpoints answer
// {"error":"temporarily_unavailable"}, Gatehouse's own JSON routes {code:"unavailable"}, pages an
// error page. Errors oidc-provider caught itself arrive flagged by its server_error event.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';

import { isDatabaseUnavailable } from '../db/unavailable.js';
import { UNAVAILABLE_DESCRIPTION } from '../oidc/availability.js';

export type Surface = 'oauth' | 'page' | 'api';

export interface DatabaseUnavailableOptions {
  retryAfterSeconds: number;
  renderPage(ctx: Context): Promise<void>;
  onUnavailable?(surface: Surface): void;
}

const FLAG = 'databaseUnavailable';

/** oidc-provider reports the errors it rendered as server_error through this event; remember which were outages. */
export function flagDatabaseOutages(provider: Provider): void {
  provider.on('server_error', (ctx: Context, error: unknown) => {
    if (isDatabaseUnavailable(error)) ctx.state[FLAG] = true;
  });
}

function wantsHtml(ctx: Context): boolean {
  return ctx.accepts('json', 'html') === 'html';
}

export default function databaseUnavailable(options: DatabaseUnavailableOptions): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      ctx.state[FLAG] = true;
      ctx.status = 503;
      if (wantsHtml(ctx)) await options.renderPage(ctx);
      else ctx.body = { code: 'unavailable', message: UNAVAILABLE_DESCRIPTION, request_id: ctx.state.requestId as string | undefined };
    }
    const oidcRoute = (ctx as { oidc?: { route?: string } }).oidc?.route;
    if (ctx.state[FLAG] === true) await rewriteServerError(ctx, options);
    if (ctx.status !== 503) return;
    ctx.set('Retry-After', String(options.retryAfterSeconds));
    if (ctx.path !== '/readyz') options.onUnavailable?.(oidcRoute ? 'oauth' : ctx.response.is('html') ? 'page' : 'api');
  };
}

/** Turns oidc-provider's rendering of an outage (500 server_error) into temporarily_unavailable. */
async function rewriteServerError(ctx: Context, options: DatabaseUnavailableOptions): Promise<void> {
  if (ctx.status === 500) {
    ctx.status = 503;
    if (ctx.response.is('html')) await options.renderPage(ctx);
    else ctx.body = { error: 'temporarily_unavailable', error_description: UNAVAILABLE_DESCRIPTION };
    return;
  }
  // An authorization error redirected to the client: RFC 6749 §4.1.2.1 has a code for this.
  const location = ctx.response.get('Location');
  if (ctx.status >= 300 && ctx.status < 400 && location) {
    const url = new URL(location);
    if (url.searchParams.get('error') === 'server_error') {
      url.searchParams.set('error', 'temporarily_unavailable');
      url.searchParams.set('error_description', UNAVAILABLE_DESCRIPTION);
      ctx.set('Location', url.toString());
    }
  }
}
