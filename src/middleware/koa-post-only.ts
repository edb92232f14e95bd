// The endpoints that take only POST (RFC 6749 §3.2 "MUST use the HTTP POST method", RFC 7662 §2.1,
// RFC 7009 §2.1, RFC 9126 §2, RFC 8628 §3.1) answer any other method with 405, an Allow header and
// the OAuth error shape; oidc-provider alone answers 404 as if they did not exist. OPTIONS stays
// with the CORS preflight handling.
import type { Middleware } from 'koa';

/** oidc-provider's default paths (Gatehouse does not change them). */
const POST_ONLY: [RegExp, string][] = [
  [/^\/token\/introspection\/?$/, 'introspection'],
  [/^\/token\/revocation\/?$/, 'revocation'],
  [/^\/token\/?$/, 'token'],
  [/^\/request\/?$/, 'pushed authorization request'],
  [/^\/device\/auth\/?$/, 'device authorization'],
];

export default function postOnly(): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'POST' || ctx.method === 'OPTIONS') return next();
    const endpoint = POST_ONLY.find(([pattern]) => pattern.test(ctx.path))?.[1];
    if (!endpoint) return next();
    ctx.status = 405;
    ctx.set('Allow', 'POST');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'invalid_request', error_description: `the ${endpoint} endpoint accepts only POST` };
  };
}
