// Shapes the answers of the registration endpoints (RFC 7591/7592) after oidc-provider made them:
// a client's secret appears only when it was just made (never a stored hash, so an RFC 7592 read
// never returns a secret), and `scope` is the client's full registered scope (API scopes included).
import type { Middleware } from 'koa';

import { REGISTRATION_PATH } from '../oidc/registration.js';
import { onlyWhen } from './koa-mounted.js';
import type { Catalog } from '../services/catalog.js';
import { ClientSecretHasher } from '../services/client-secrets.js';
import { API_SCOPES_PROPERTY } from '../services/registered-clients.js';

const REGISTRATION_ROUTES = new Set(['registration', 'client', 'client_update']);

export default function registrationResponse({ catalog }: { catalog: Pick<Catalog, 'client'> }): Middleware {
  // The registration endpoint's routes are all below its path: nothing else needs the async frame.
  return onlyWhen((ctx) => ctx.path.startsWith(REGISTRATION_PATH), async (ctx, next) => {
    await next();
    const route = (ctx as { oidc?: { route?: string } }).oidc?.route;
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
