// Token exchange (RFC 8693) as a grant type of the token endpoint: a service (a client with the
// token-exchange grant) swaps a user's access token it received for one narrowed to another API.
// Rules: the subject token must be a live Gatehouse access token for a user, issued for one of the
// APIs the client may exchange tokens of (tokenExchangeSubjectApis); the new audience must be one of
// the client's own APIs; the scope only what the client is assigned for that API and the user may
// hold; the lifetime never beyond the subject token's. The `act` claim names the client as actor,
// nesting any earlier actor (§4.1). The new token is revoked with the user's grant it came from.
import type { KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { ApiRecord } from '../repositories/apis.js';
import { TOKEN_EXCHANGE_GRANT } from '../schemas/client.js';
import type { Catalog } from '../services/catalog.js';
import { SOURCE_GRANT_CLAIM, type AccessTokenVerifier } from './access-token-verifier.js';
import { verifyTokenEndpointDpop } from './internals.js';
import { scopesForRoles, type UserRoles } from './resource-servers.js';

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const TOKEN_EXCHANGE_PARAMETERS = ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'scope', 'resource', 'audience'];

type ExtraClaims = Record<string, unknown>;
const words = (value: unknown) => String(value ?? '').split(' ').filter(Boolean);

export function createTokenExchange(deps: { catalog: Catalog; accessTokens: AccessTokenVerifier; users: UserRoles & { findById(userId: string): Promise<{ disabled: boolean } | undefined> } }) {
  // The claims of each exchanged token, picked up by extraTokenClaims when the token is signed.
  const claimsOf = new WeakMap<object, ExtraClaims>();

  async function targetApi(ctx: KoaContextWithOIDC, allowed: string[]): Promise<ApiRecord> {
    const params = ctx.oidc.params as Record<string, unknown>;
    const resource = params.resource;
    if (Array.isArray(resource) && resource.length > 1) throw new errors.InvalidTarget('only one resource may be requested');
    const named = Array.isArray(resource) ? resource[0] : resource;
    // RFC 8693 §2.2.2: the token is for one target; a resource and an audience naming two is refused, not half-honoured.
    if (named && params.audience && params.audience !== named) throw new errors.InvalidTarget('resource and audience name different targets; name one');
    const requested = named ?? params.audience ?? allowed[0];
    if (typeof requested !== 'string' || !allowed.includes(requested)) throw new errors.InvalidTarget('this client may not request tokens for that resource');
    const api = await deps.catalog.api(requested);
    if (!api) throw new errors.InvalidTarget('unknown resource (API identifier)');
    return api;
  }

  async function handler(ctx: KoaContextWithOIDC): Promise<void> {
    const params = ctx.oidc.params as Record<string, string | undefined>;
    const client = ctx.oidc.client!;
    const record = await deps.catalog.client(client.clientId);
    if (!record) throw new errors.InvalidClient('client not found');
    if (!params.subject_token) throw new errors.InvalidRequest('missing required parameter subject_token');
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`only ${ACCESS_TOKEN_TYPE} can be requested`);
    // The authenticated client is the actor; a separate actor token is not accepted.
    if (params.actor_token || params.actor_token_type) throw new errors.InvalidRequest('actor_token is not supported: the authenticated client is the actor');

    const subject = await deps.accessTokens.verify(params.subject_token);
    if (!subject?.grantId) throw new errors.InvalidGrant('subject_token is not an active access token issued for a user');
    const audiences = Array.isArray(subject.aud) ? subject.aud : [subject.aud];
    const exchangeable = Array.isArray(record.metadata.token_exchange_subject_audiences) ? (record.metadata.token_exchange_subject_audiences as string[]) : [];
    if (!audiences.some((aud) => exchangeable.includes(aud))) throw new errors.InvalidGrant('this client may not exchange tokens issued for that API');
    const user = await deps.users.findById(subject.sub);
    if (!user || user.disabled) throw new errors.InvalidGrant('the user of the subject_token can no longer sign in');

    const api = await targetApi(ctx, record.apis);
    const assigned = new Set(words(record.metadata.scope));
    const holdable = scopesForRoles(api, await deps.users.rolesOf(subject.sub));
    const available = api.scopes.map((s) => s.name).filter((name) => assigned.has(name) && holdable.has(name));
    const requested = params.scope === undefined ? available : words(params.scope);
    for (const scope of requested) {
      if (!available.includes(scope)) throw new errors.InvalidScope('requested scope is not allowed for this client and user', scope);
    }
    if (!requested.length) throw new errors.InvalidScope('no scope of that API is available to this client and user', String(params.scope ?? ''));

    const dPoP = await verifyTokenEndpointDpop(ctx);
    if (client.dpopBoundAccessTokens && !dPoP) throw new errors.InvalidGrant('DPoP proof JWT not provided');

    const provider = ctx.oidc.provider;
    const lifetime = Math.min(api.accessTokenTtl, subject.exp - Math.floor(Date.now() / 1000));
    if (lifetime <= 0) throw new errors.InvalidGrant('subject_token has expired');
    // A grant of the exchanging client's own: introspection checks that a token's grant is its client's.
    const grant = new provider.Grant({ accountId: subject.sub, clientId: client.clientId });
    grant.addResourceScope(api.identifier, requested.join(' '));
    // The grant lives as long as the token (the library's save takes a lifetime; its types do not say so).
    const grantId = await (grant.save as (ttl: number) => Promise<string>).call(grant, lifetime);

    const token = new provider.AccessToken({
      accountId: subject.sub,
      client,
      grantId,
      gty: 'token_exchange',
      scope: requested.join(' '),
      expiresIn: lifetime,
    } as never);
    const info = { scope: requested.join(' '), audience: api.identifier, accessTokenTTL: lifetime, accessTokenFormat: 'jwt', jwt: { sign: { alg: api.signingAlg } } };
    token.resourceServer = new (provider as unknown as { ResourceServer: new (id: string, info: object) => ResourceServer }).ResourceServer(api.identifier, info) as never;
    if (dPoP) token.setThumbprint('jkt', dPoP.thumbprint);
    const earlierActor = subject.claims.act;
    claimsOf.set(token, {
      act: { sub: client.clientId, ...(earlierActor && typeof earlierActor === 'object' ? { act: earlierActor } : {}) },
      // The user's grant the chain started from: revoking it revokes this token too.
      [SOURCE_GRANT_CLAIM]: (subject.claims[SOURCE_GRANT_CLAIM] as string | undefined) ?? subject.grantId,
    });
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();

    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: token.tokenType,
      expires_in: token.expiration,
      scope: token.scope,
    };
  }

  return {
    grantType: TOKEN_EXCHANGE_GRANT,
    parameters: TOKEN_EXCHANGE_PARAMETERS,
    handler,
    /** The act and source-grant claims of an exchanged token (merged into extraTokenClaims). */
    extraClaims: (token: object): ExtraClaims | undefined => claimsOf.get(token),
  };
}
