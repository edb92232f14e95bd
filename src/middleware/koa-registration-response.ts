// Shapes the answers of the registration endpoints (RFC 7591/7592) after oidc-provider made them:
// a client's secret appears only when it was just made (never a stored hash, so an RFC 7592 read
// never returns a secret), and `scope` is the client's full registered scope (API scopes included).
// A management request refused for its registration access token gets the Bearer challenge RFC 6750
// §3 requires, which oidc-provider leaves out.
import type { Context, Middleware } from 'koa';

import { REGISTRATION_PATH } from '../oidc/registration.js';
import { onlyWhen } from './koa-mounted.js';
import type { Catalog } from '../services/catalog.js';
import { ClientSecretHasher } from '../services/client-secrets.js';
import { API_SCOPES_PROPERTY } from '../services/registered-clients.js';

const REGISTRATION_ROUTES = new Set(['registration', 'client', 'client_update']);
const MANAGEMENT_ROUTES = new Set(['client', 'client_update', 'client_delete']);
const TOKEN_ERRORS = new Set(['invalid_request', 'invalid_token']);

/**
 * RFC 6750 §3: a request without the token (no Authorization, or another scheme) gets 401 and a bare
 * challenge (§3.1: no error code then); a malformed or wrong token, the challenge with its error.
 */
function challenge(ctx: Context, issuer: string): void {
  const body = ctx.body as { error?: string; error_description?: string } | undefined;
  if (!body?.error || !TOKEN_ERRORS.has(body.error)) return;
  if (!/^bearer(?: |$)/i.test(ctx.get('authorization'))) {
    ctx.status = 401;
    ctx.body = { error: 'invalid_token', error_description: 'a registration access token is required (Authorization: Bearer)' };
    ctx.set('WWW-Authenticate', `Bearer realm="${issuer}"`);
    return;
  }
  const description = (body.error_description ?? '').replace(/["\\]/g, '');
  ctx.set('WWW-Authenticate', `Bearer realm="${issuer}", error="${body.error}", error_description="${description}"`);
}

export default function registrationResponse({ catalog, issuer }: { catalog: Pick<Catalog, 'client'>; issuer: string }): Middleware {
  // The registration endpoint's routes are all below its path: nothing else needs the async frame.
  return onlyWhen((ctx) => ctx.path.startsWith(REGISTRATION_PATH), async (ctx, next) => {
    await next();
    const route = (ctx as { oidc?: { route?: string } }).oidc?.route;
    if (route && MANAGEMENT_ROUTES.has(route) && ctx.status >= 400) challenge(ctx, issuer);
    if (!route || !REGISTRATION_ROUTES.has(route) || ctx.status >= 300) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || typeof body.client_id !== 'string') return;
    delete body[API_SCOPES_PROPERTY];
    const secret = body.client_secret;
    if (route === 'client' || (typeof secret === 'string' && ClientSecretHasher.isHash(secret))) {
      delete body.client_secret;
      delete body.client_secret_expires_at;
    }
    const stored = await catalog.client(body.client_id);
    if (typeof stored?.metadata.scope === 'string') body.scope = stored.metadata.scope;
    else delete body.scope;
  });
}
