// Enforces the CORS policy (src/oidc/cors.ts) on what oidc-provider answers: its preflight
// responses echo any Origin, so a preflight is allowed only for the token, userinfo and revocation
// endpoints and an origin derived from some client's registered redirect URIs; CORS headers are
// removed everywhere else (introspection, PAR, device authorization, registration, pages).
import type { Context, Middleware } from 'koa';

import { CORS_ROUTES, OPEN_CORS_ROUTES } from '../oidc/cors.js';

export interface CorsPolicyOptions {
  /** Origins of every registered redirect URI (cached). */
  registeredOrigins(): Promise<Set<string>>;
}

function stripCors(ctx: Context): void {
  for (const name of Object.keys(ctx.response.headers)) {
    if (name.toLowerCase().startsWith('access-control-')) ctx.remove(name);
  }
}

export default function corsPolicy({ registeredOrigins }: CorsPolicyOptions): Middleware {
  return async (ctx, next) => {
    await next();
    // Gatehouse's own answers on an oidc-provider endpoint name it in state.route.
    const route = (ctx as { oidc?: { route?: string } }).oidc?.route ?? (ctx.state.route as string | undefined) ?? '';
    const endpoint = route.startsWith('cors.') ? route.slice('cors.'.length) : route;
    if (OPEN_CORS_ROUTES.has(endpoint)) return;
    if (!CORS_ROUTES.has(endpoint)) return stripCors(ctx);
    if (route.startsWith('cors.') && !(await registeredOrigins()).has(ctx.get('origin'))) stripCors(ctx);
  };
}
