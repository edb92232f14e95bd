// RFC 6749 §4.1.2.1: a client that is not allowed the authorization code flow gets the error
// unauthorized_client. oidc-provider answers invalid_request ("requested response_type is not
// allowed for this client"); this corrects the error code in the redirect (query or fragment) or
// the form_post page, matched on the library's exact description (a test fails if it changes).
import type { Middleware } from 'koa';

const DESCRIPTION = 'requested response_type is not allowed for this client';
const AUTHORIZATION_ROUTES = new Set(['authorization', 'resume']);

function correct(params: URLSearchParams): boolean {
  if (params.get('error') !== 'invalid_request' || params.get('error_description') !== DESCRIPTION) return false;
  params.set('error', 'unauthorized_client');
  return true;
}

export default function authorizationErrorConformance(): Middleware {
  return async (ctx, next) => {
    await next();
    const route = (ctx as { oidc?: { route?: string } }).oidc?.route;
    if (!route || !AUTHORIZATION_ROUTES.has(route)) return;
    const location = ctx.response.get('location');
    if (location) {
      const url = URL.parse(location);
      if (!url) return;
      const fragment = new URLSearchParams(url.hash.slice(1));
      if (correct(url.searchParams)) ctx.set('Location', url.toString());
      else if (correct(fragment)) {
        url.hash = fragment.toString();
        ctx.set('Location', url.toString());
      }
      return;
    }
    if (typeof ctx.body === 'string' && ctx.body.includes(`value="${DESCRIPTION}"`)) {
      ctx.body = ctx.body.replace('name="error" value="invalid_request"', 'name="error" value="unauthorized_client"');
    }
  };
}
