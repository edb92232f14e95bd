// RFC 8707 at the token endpoint, before oidc-provider: a code exchange or refresh that names a
// resource no API has is answered invalid_target here. oidc-provider checks the resource only after
// it has consumed the code or refresh token, so such a request (a typo in an API identifier is
// enough) burnt the token, and the client's retry was then taken for reuse and ended the grant.
// Only "does this API exist" is decided here; which APIs a client may use is for after it has
// authenticated, where oidc-provider asks (a request that gets that far and fails there still
// burns its token; it is one a client could never have made succeed).
import type { Middleware } from 'koa';

import type { Catalog } from '../services/catalog.js';
import { onlyWhen } from './koa-mounted.js';

const GRANTS_THAT_CONSUME = new Set(['authorization_code', 'refresh_token']);

export default function tokenResourceCheck({ catalog }: { catalog: Pick<Catalog, 'api'> }): Middleware {
  return onlyWhen(
    (ctx) => ctx.method === 'POST' && ctx.path === '/token',
    async (ctx, next) => {
      // Read and checked by the request-limits layer in front.
      const params = ctx.state.oauthParams as Map<string, string[]> | undefined;
      const grantType = params?.get('grant_type')?.[0];
      const resources = params?.get('resource');
      if (grantType && resources && GRANTS_THAT_CONSUME.has(grantType)) {
        for (const resource of resources) {
          if (!(await catalog.api(resource))) {
            ctx.status = 400;
            ctx.set('Cache-Control', 'no-store');
            ctx.set('Pragma', 'no-cache');
            ctx.body = { error: 'invalid_target', error_description: 'unknown resource (API identifier)' };
            return;
          }
        }
      }
      await next();
    },
  );
}
