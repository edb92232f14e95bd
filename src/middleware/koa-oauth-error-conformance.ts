// Where oidc-provider's error for a case differs from what RFC 6749 §5.2 prescribes, rewrite it:
// - no client authentication at all, or a malformed Authorization header → 401 invalid_client with
//   WWW-Authenticate (not 400 invalid_request);
// - a grant type the client is not registered for → unauthorized_client (not invalid_request).
// Matched on the library's exact descriptions; a test fails if an upgrade changes them.
// Also: DPoP refusals get their RFC 9449 error code (oidc/dpop-refusals.ts); token responses carry Pragma: no-cache beside Cache-Control: no-store (RFC 6749 §5.1, a MUST
// oidc-provider leaves out).
import type { Middleware } from 'koa';

import { correctDpopRefusal } from '../oidc/dpop-refusals.js';

interface Correction {
  status: number;
  error: string;
  challenge: boolean;
}

const CORRECTIONS = new Map<string, Correction>([
  ['no client authentication mechanism provided', { status: 401, error: 'invalid_client', challenge: true }],
  ['client_secret must be provided in the Authorization header', { status: 401, error: 'invalid_client', challenge: true }],
  // An Authorization header that is not well-formed Basic is still an attempt to authenticate with it.
  ['invalid authorization header value format', { status: 401, error: 'invalid_client', challenge: true }],
  // Credentials in the header whose form-urlencoding (RFC 6749 §2.3.1) does not decode: the same.
  ['client_id and client_secret in the authorization header are not properly encoded', { status: 401, error: 'invalid_client', challenge: true }],
  ['requested grant type is not allowed for this client', { status: 400, error: 'unauthorized_client', challenge: false }],
  // The device authorization endpoint, for a client without the device code grant.
  ['urn:ietf:params:oauth:grant-type:device_code is not allowed for this client', { status: 400, error: 'unauthorized_client', challenge: false }],
]);

const CLIENT_AUTHENTICATED_ROUTES = new Set(['token', 'introspection', 'revocation', 'pushed_authorization_request', 'device_authorization', 'backchannel_authentication']);

export default function oauthErrorConformance({ issuer }: { issuer: string }): Middleware {
  return async (ctx, next) => {
    await next();
    const route = (ctx as { oidc?: { route?: string } }).oidc?.route;
    if (route === 'token') ctx.set('Pragma', 'no-cache');
    if (route === 'token' || route === 'userinfo') correctDpopRefusal(ctx);
    if (!route || !CLIENT_AUTHENTICATED_ROUTES.has(route) || ctx.status < 400) return;
    const body = ctx.body as { error?: string; error_description?: string } | undefined;
    const correction = body?.error_description ? CORRECTIONS.get(body.error_description) : undefined;
    if (!correction || !body) return;
    ctx.status = correction.status;
    ctx.body = { ...body, error: correction.error };
    if (correction.challenge) {
      ctx.set('WWW-Authenticate', `Basic realm="${issuer}", error="${correction.error}", error_description="${body.error_description}"`);
    }
  };
}
