// With an https issuer, a request arriving over plain http (other than a health probe) means a
// TLS-terminating proxy whose X-Forwarded-Proto is not trusted, or a request that went around the
// proxy. Say so in the log, once. The sign-in, logout, device and account pages set secure cookies,
// which cannot be sent over such a connection: they answer 400 with a page saying so, rather than
// fail in oidc-provider's cookie code with a 500. The APIs (token, JWKS, ...) answer as before.
import type { Context, Middleware } from 'koa';

import type { Logger } from '../services/logger.js';

const PROBES = new Set(['/healthz', '/readyz']);
const PAGES_WITH_SECURE_COOKIES = /^\/(auth|interaction|session|device|account)(\/|$)/;
const DEVICE_AUTHORIZATION = '/device/auth';

export interface HttpsExpectedOptions {
  logger: Logger;
  renderPage(ctx: Context, status: number, code: string, message: string): Promise<void>;
}

export default function httpsExpected({ logger, renderPage }: HttpsExpectedOptions): Middleware {
  let warned = false;
  return async (ctx, next) => {
    if (ctx.secure || PROBES.has(ctx.path)) return next();
    if (!warned) {
      warned = true;
      logger.warn(
        { path: ctx.path },
        'a request arrived over plain http but ISSUER is https: behind a TLS-terminating proxy set TRUST_PROXY=true (X-Forwarded-Proto), or serve TLS directly with TLS_CERT_FILE and TLS_KEY_FILE',
      );
    }
    if (!PAGES_WITH_SECURE_COOKIES.test(ctx.path) || ctx.path === DEVICE_AUTHORIZATION) return next();
    ctx.set('Cache-Control', 'no-store');
    const message = 'This page is served over https only, and this request arrived over plain http.';
    if (ctx.accepts('json', 'html') === 'html') return renderPage(ctx, 400, 'invalid_request', message);
    ctx.status = 400;
    ctx.body = { error: 'invalid_request', error_description: message };
  };
}
