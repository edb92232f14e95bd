// RFC 8707 at the token endpoint, before oidc-provider: a code exchange or refresh that names a
// resource it cannot have is answered invalid_target here. oidc-provider checks the resource only
// after it has consumed the code or refresh token, so such a request (a typo in an API identifier is
// enough) burnt the token, and the client's retry was then taken for reuse and ended the grant.
// Refused here: a resource no API has, and a resource outside what the code or refresh token was
// granted for. The second needs the token itself, read without consuming it, and is decided only
// for a live, unused token of the client the request names; anything else (a reused code above all,
// which must end its grant) goes on to oidc-provider, which decides as it always did.
import type { Context, Middleware } from 'koa';

import type { Catalog } from '../services/catalog.js';
import { onlyWhen } from './koa-mounted.js';
import { claimedClientId } from './oauth-request.js';
import { answerTokenError } from './token-endpoint-answer.js';

const GRANTS_THAT_CONSUME = new Map([
  ['authorization_code', 'code'],
  ['refresh_token', 'refresh_token'],
]);

type ConsumingGrant = 'authorization_code' | 'refresh_token';

/** What a code or refresh token was granted for, as oidc-provider stores it. */
export interface GrantSource {
  clientId: string;
  /** Still usable: neither consumed nor expired. */
  usable: boolean;
  resources: ReadonlySet<string>;
}

interface Request {
  grantType: ConsumingGrant;
  token: string | undefined;
  resources: string[];
}

/** The resources a code exchange or refresh names (the request-limits layer in front read the body). */
function requestToCheck(ctx: Context): Request | undefined {
  if (ctx.method !== 'POST' || ctx.path !== '/token') return undefined;
  const params = ctx.state.oauthParams as Map<string, string[]> | undefined;
  const grantType = params?.get('grant_type')?.[0];
  const tokenParameter = grantType && GRANTS_THAT_CONSUME.get(grantType);
  if (!tokenParameter) return undefined;
  // RFC 6749 §3.2: a parameter sent without a value is treated as omitted (oidc-provider does the same).
  const resources = params.get('resource')?.filter(Boolean);
  if (!resources?.length) return undefined;
  return { grantType: grantType as ConsumingGrant, token: params.get(tokenParameter)?.[0], resources };
}

export interface TokenResourceCheckOptions {
  catalog: Pick<Catalog, 'api'>;
  /** The code or refresh token by its value, read without consuming it; undefined if there is none. */
  grantSource(grantType: ConsumingGrant, token: string): Promise<GrantSource | undefined>;
  /**
   * The origin to answer a browser with (the CORS header oidc-provider would have set for this
   * client), or undefined: a public client's page must be able to read why its request failed.
   */
  corsOrigin(ctx: Context, clientId: string | undefined): Promise<string | undefined>;
}

export default function tokenResourceCheck({ catalog, grantSource, corsOrigin }: TokenResourceCheckOptions): Middleware {
  const refuse = async (ctx: Context, description: string) => {
    answerTokenError(ctx, 'invalid_target', description);
    const origin = await corsOrigin(ctx, (ctx.state.oauthParams as Map<string, string[]>).get('client_id')?.[0]);
    if (origin) {
      ctx.vary('Origin');
      ctx.set('Access-Control-Allow-Origin', origin);
    }
  };

  // Everything else on the token endpoint (client credentials above all) passes without an async frame.
  return onlyWhen(
    (ctx) => requestToCheck(ctx) !== undefined,
    async (ctx, next) => {
      const request = requestToCheck(ctx)!;
      for (const resource of request.resources) {
        if (!(await catalog.api(resource))) return refuse(ctx, 'unknown resource (API identifier)');
      }
      // One API per access token: a request naming several would be refused only after consumption.
      if (new Set(request.resources).size > 1) return refuse(ctx, 'one resource per token request: Gatehouse access tokens are for a single API');
      const [resource, ...more] = request.resources;
      if (resource !== undefined && more.length === 0 && request.token) {
        const source = await grantSource(request.grantType, request.token);
        const client = claimedClientId(ctx);
        if (source?.usable && client !== undefined && source.clientId === client && !source.resources.has(resource)) {
          return refuse(ctx, `the ${request.grantType === 'refresh_token' ? 'refresh token' : 'authorization code'} was not granted for this resource`);
        }
      }
      await next();
    },
  );
}
