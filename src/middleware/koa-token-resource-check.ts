// RFC 8707 at the token endpoint, before oidc-provider: a code exchange or refresh that names a
// resource no API has is answered invalid_target here. oidc-provider checks the resource only after
// it has consumed the code or refresh token, so such a request (a typo in an API identifier is
// enough) burnt the token, and the client's retry was then taken for reuse and ended the grant.
// Only "does this API exist" is decided here; which APIs a client may use is for after it has
// authenticated, where oidc-provider asks (a request that gets that far and fails there still
// burns its token; it is one a client could never have made succeed).
import type { Context, Middleware } from 'koa';

import type { Catalog } from '../services/catalog.js';
import { onlyWhen } from './koa-mounted.js';

const GRANTS_THAT_CONSUME = new Set(['authorization_code', 'refresh_token']);

/** The resources a code exchange or refresh names (the request-limits layer in front read the body). */
function resourcesToCheck(ctx: Context): string[] | undefined {
  if (ctx.method !== 'POST' || ctx.path !== '/token') return undefined;
  const params = ctx.state.oauthParams as Map<string, string[]> | undefined;
  const grantType = params?.get('grant_type')?.[0];
  return grantType && GRANTS_THAT_CONSUME.has(grantType) ? params!.get('resource') : undefined;
}

export interface TokenResourceCheckOptions {
  catalog: Pick<Catalog, 'api'>;
  /**
   * The origin to answer a browser with (the CORS header oidc-provider would have set for this
   * client), or undefined: a public client's page must be able to read why its request failed.
   */
  corsOrigin(ctx: Context, clientId: string | undefined): Promise<string | undefined>;
}

export default function tokenResourceCheck({ catalog, corsOrigin }: TokenResourceCheckOptions): Middleware {
  // Everything else on the token endpoint (client credentials above all) passes without an async frame.
  return onlyWhen(
    (ctx) => resourcesToCheck(ctx) !== undefined,
    async (ctx, next) => {
      for (const resource of resourcesToCheck(ctx)!) {
        if (!(await catalog.api(resource))) {
          ctx.state.route = 'token';
          ctx.status = 400;
          ctx.set('Cache-Control', 'no-store');
          ctx.set('Pragma', 'no-cache');
          ctx.body = { error: 'invalid_target', error_description: 'unknown resource (API identifier)' };
          const origin = await corsOrigin(ctx, (ctx.state.oauthParams as Map<string, string[]>).get('client_id')?.[0]);
          if (origin) {
            ctx.vary('Origin');
            ctx.set('Access-Control-Allow-Origin', origin);
          }
          return;
        }
      }
      await next();
    },
  );
}
