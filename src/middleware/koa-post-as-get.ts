// OpenID Connect Core §3.1.2.1 and RP-Initiated Logout §2: the authorization and logout endpoints
// MUST take POST (parameters form-serialised in the body) as well as GET. oidc-provider serves POST
// there only when the session cookie is SameSite=None; Gatehouse keeps it Lax, so that no cross-site
// request but a top-level navigation carries the session. A form posted to either endpoint is
// therefore answered 303 See Other to the same endpoint with its parameters in the query, which the
// browser follows as exactly that navigation; the request is then handled as a GET.
import type { Context, Middleware } from 'koa';

import { onlyWhen } from './koa-mounted.js';

const ENDPOINTS = new Set(['/auth', '/session/end']);

/** Longer requests belong in a pushed authorization request (RFC 9126), and would not fit in a URL. */
export const MAX_FORWARDED_QUERY = 8 * 1024;

function refuse(ctx: Context, description: string): void {
  ctx.status = 400;
  ctx.body = { error: 'invalid_request', error_description: description };
}

export default function postAsGet(): Middleware {
  return onlyWhen(
    (ctx) => ctx.method === 'POST' && ENDPOINTS.has(ctx.path),
    (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      // Read and checked by the request-limits layer in front (size, encoding, duplicates).
      const params = ctx.state.oauthParams as Map<string, string[]> | undefined;
      const hasBody = (ctx.request.length ?? 0) > 0 || Boolean(ctx.get('transfer-encoding'));
      if (ctx.querystring || (hasBody && !params)) return refuse(ctx, 'a POST request carries its parameters form-encoded in the body, and only there');
      const query = new URLSearchParams();
      for (const [name, values] of params ?? []) for (const value of values) query.append(name, value);
      const text = query.toString();
      if (text.length > MAX_FORWARDED_QUERY) return refuse(ctx, 'the request is too large; send it as a pushed authorization request (RFC 9126)');
      ctx.status = 303;
      ctx.redirect(text ? `${ctx.path}?${text}` : ctx.path);
    },
  );
}
