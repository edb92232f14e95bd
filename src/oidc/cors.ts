// CORS only where a browser app needs it: the token, userinfo and revocation endpoints, for an
// origin of one of the calling client's registered redirect URIs (and, as oidc-provider does by
// default, at the token and revocation endpoints only for public clients, which are the ones that
// live in browsers). The JWKS and discovery documents are public and open to any origin. Never
// the authorization endpoint (a top-level navigation), never introspection (an API's call).
import type { KoaContextWithOIDC } from 'oidc-provider';

export const CORS_ROUTES = new Set(['token', 'userinfo', 'revocation']);
export const OPEN_CORS_ROUTES = new Set(['jwks', 'discovery']);

export function originOf(uri: string): string | undefined {
  const url = URL.parse(uri);
  return url && (url.protocol === 'https:' || url.protocol === 'http:') ? url.origin : undefined;
}

export interface CorsClient {
  clientAuthMethod?: string;
  redirectUris?: readonly string[];
}

export function clientBasedCors(ctx: KoaContextWithOIDC, origin: string, client: CorsClient): boolean {
  return corsAllowed(ctx.oidc.route, origin, client);
}

/** Whether `client` may be called on `route` from a page at `origin`. */
export function corsAllowed(route: string, origin: string, client: CorsClient): boolean {
  if (!CORS_ROUTES.has(route) || origin === 'null') return false;
  if (route !== 'userinfo' && client.clientAuthMethod !== 'none') return false;
  return (client.redirectUris ?? []).some((uri) => originOf(uri) === origin);
}
