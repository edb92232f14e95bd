// The endpoints that take only POST (RFC 6749 §3.2 "MUST use the HTTP POST method", RFC 7662 §2.1,
// RFC 7009 §2.1, RFC 9126 §2, RFC 8628 §3.1) answer any other method with 405, an Allow header and
// the OAuth error shape; oidc-provider alone answers 404 as if they did not exist. OPTIONS stays
// with the CORS preflight handling.
import type { Middleware } from 'koa';

import type { RateLimitedEndpoint } from '../config/rate-limit-config.js';
import { rateLimitedEndpoint } from './koa-rate-limit.js';

/** The POST-only endpoints among those the rate limiter recognises by path, by their names in errors. */
const POST_ONLY: Partial<Record<RateLimitedEndpoint, string>> = {
  token: 'token',
  introspection: 'introspection',
  revocation: 'revocation',
  par: 'pushed authorization request',
  device: 'device authorization',
};

export default function postOnly(): Middleware {
  return (ctx, next) => {
    if (ctx.method === 'POST' || ctx.method === 'OPTIONS') return next();
    const recognised = rateLimitedEndpoint(ctx.path);
    const endpoint = recognised && POST_ONLY[recognised];
    if (!endpoint) return next();
    ctx.status = 405;
    ctx.set('Allow', 'POST');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'invalid_request', error_description: `the ${endpoint} endpoint accepts only POST` };
  };
}
