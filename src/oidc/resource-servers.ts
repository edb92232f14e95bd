// APIs as oidc-provider resource servers (RFC 8707): which API a request is for, and what a token
// for it looks like (audience, scopes, lifetime, signing algorithm, JWT format). Two rules are
// enforced here because every token for an API passes through getResourceServerInfo, at the
// authorization endpoint (consent) and at the token endpoint (code, refresh, client credentials):
// - a client gets only the scopes it is assigned; asking for any other is invalid_scope;
// - a scope restricted to roles is never offered to, granted to, or put in a token of a user
//   without one of those roles, whatever the client asks.
import type { KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { ApiRecord } from '../repositories/apis.js';
import type { ClientRecord } from '../repositories/clients.js';
import { STANDARD_SCOPES } from '../schemas/api.js';
import type { Catalog } from '../services/catalog.js';

type ClientLike = { clientId: string; scope?: string | undefined };

export interface UserRoles {
  rolesOf(userId: string): Promise<string[]>;
}

const OIDC_SCOPES = new Set<string>(STANDARD_SCOPES);

/** Where a request names the scopes it wants (elsewhere they come from an earlier grant, already checked). */
function scopeRequestKind(ctx: KoaContextWithOIDC): 'authorization' | 'client_credentials' | undefined {
  const route = ctx.oidc.route;
  if (route === 'authorization' || route === 'resume' || route === 'pushed_authorization_request' || route === 'device_authorization') return 'authorization';
  if (route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials') return 'client_credentials';
  return undefined;
}

const words = (value: unknown) => String(value ?? '').split(' ').filter(Boolean);

function requestedResources(ctx: KoaContextWithOIDC): string[] {
  const resource = ctx.oidc.params?.resource as string | string[] | undefined;
  return Array.isArray(resource) ? resource : resource ? [resource] : [];
}

/** The signed-in user a token or grant is for, wherever the request has it. */
export function accountIdOf(ctx: KoaContextWithOIDC): string | undefined {
  const oidc = ctx.oidc as unknown as {
    account?: { accountId: string };
    grant?: { accountId?: string };
    session?: { accountId?: string };
    entities?: { AuthorizationCode?: { accountId?: string }; RefreshToken?: { accountId?: string } };
  };
  return (
    oidc.account?.accountId ??
    oidc.grant?.accountId ??
    oidc.entities?.AuthorizationCode?.accountId ??
    oidc.entities?.RefreshToken?.accountId ??
    oidc.session?.accountId
  );
}

/** The scopes of an API a user may hold: unrestricted ones, and restricted ones their roles allow. */
export function scopesForRoles(api: ApiRecord, roles: readonly string[]): Set<string> {
  return new Set(api.scopes.filter((s) => !s.roles.length || s.roles.some((r) => roles.includes(r))).map((s) => s.name));
}

export function createResourceServerPolicy(catalog: Catalog, users: UserRoles) {
  /** Refuses any requested scope the client is not assigned, or that belongs to none of the APIs in play. */
  function assertScopesAssigned(ctx: KoaContextWithOIDC, record: ClientRecord | undefined, apis: ApiRecord[]): void {
    const kind = scopeRequestKind(ctx);
    if (!kind) return;
    // A client configured in the provider itself (the account page's) has no record: its own metadata says.
    const assigned = new Set(words(record ? record.metadata.scope : ctx.oidc.client?.scope));
    const offered = new Set(apis.flatMap((api) => api.scopes.map((s) => s.name)));
    for (const scope of words(ctx.oidc.params?.scope)) {
      const allowed = OIDC_SCOPES.has(scope) ? kind === 'authorization' && assigned.has(scope) : assigned.has(scope) && offered.has(scope);
      if (!allowed) throw new errors.InvalidScope('requested scope is not allowed for this client', scope);
    }
  }

  /** The role names of the user this request is for; none when it is for no known user. */
  async function rolesInPlay(ctx: KoaContextWithOIDC): Promise<string[]> {
    const accountId = accountIdOf(ctx);
    return accountId ? users.rolesOf(accountId) : [];
  }

  /** The API a request is for when it names none: the first of the client's APIs that owns a requested scope. */
  async function defaultResource(ctx: KoaContextWithOIDC, client: ClientLike, oneOf?: string[]): Promise<string | string[] | undefined> {
    // An access token is for one API. A token request that names several is refused (RFC 8707 §2:
    // invalid_target), rather than answered with a token for one of them the client did not choose;
    // a code or refresh token granted for several APIs still yields one token per request.
    const named = ctx.oidc.params?.resource;
    if (ctx.oidc.route === 'token' && Array.isArray(named) && new Set(named).size > 1) {
      throw new errors.InvalidTarget('one resource per token request: Gatehouse access tokens are for a single API');
    }
    const requested = new Set(words(ctx.oidc.params?.scope));
    const record = await catalog.client(client.clientId);
    const candidates = oneOf ?? record?.apis ?? [];
    for (const identifier of candidates) {
      const api = await catalog.api(identifier);
      if (api?.scopes.some((s) => requested.has(s.name))) return identifier;
    }
    if (oneOf) return oneOf[0];
    // Machine-to-machine tokens always have an audience: the client's default API.
    if (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials') return record?.apis[0];
    // No API at all: only OpenID Connect scopes may be asked for (instead of API scopes being dropped silently).
    assertScopesAssigned(ctx, record, []);
    return undefined;
  }

  async function getResourceServerInfo(ctx: KoaContextWithOIDC, resourceIndicator: string, client: ClientLike): Promise<ResourceServer> {
    const [api, record] = await Promise.all([catalog.api(resourceIndicator), catalog.client(client.clientId)]);
    if (!api) throw new errors.InvalidTarget('unknown resource (API identifier)');
    if (!record?.apis.includes(api.identifier)) {
      throw new errors.InvalidTarget('this client may not request tokens for that resource');
    }
    if (record.dynamic && !api.allowDynamicClients) {
      throw new errors.InvalidTarget('this API does not accept dynamically registered clients');
    }
    const inPlay = [api];
    for (const other of requestedResources(ctx)) {
      if (other !== api.identifier && record.apis.includes(other)) {
        const found = await catalog.api(other);
        if (found) inPlay.push(found);
      }
    }
    assertScopesAssigned(ctx, record, inPlay);

    const assigned = new Set(words(record.metadata.scope));
    let scopes = api.scopes.map((s) => s.name).filter((name) => assigned.has(name));
    // Client credentials act for the client itself: no user, no roles. Everything else is for a user.
    const forUser = !(ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials');
    if (forUser && api.scopes.some((s) => s.roles.length)) {
      const holdable = scopesForRoles(api, await rolesInPlay(ctx));
      scopes = scopes.filter((name) => holdable.has(name));
    }
    return {
      scope: scopes.join(' '),
      audience: api.identifier,
      accessTokenTTL: api.accessTokenTtl,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: api.signingAlg } },
    } as ResourceServer;
  }

  /** The `roles` claim, for APIs that ask for it, in access tokens issued for a user. */
  async function extraTokenClaims(_ctx: unknown, token: { kind?: string; accountId?: string; resourceServer?: { audience?: unknown } }) {
    const audience = token.resourceServer?.audience;
    if (token.kind !== 'AccessToken' || !token.accountId || typeof audience !== 'string') return undefined;
    const api = await catalog.api(audience);
    if (!api?.rolesClaim) return undefined;
    return { roles: await users.rolesOf(token.accountId) };
  }

  /** The part of a remembered consent the user may still hold (roles can have been taken away since). */
  async function holdableScopes(accountId: string, clientId: string, indicator: string, scopes: string[]): Promise<string[]> {
    const [api, record] = await Promise.all([catalog.api(indicator), catalog.client(clientId)]);
    if (!api || !record?.apis.includes(api.identifier)) return [];
    const holdable = api.scopes.some((s) => s.roles.length) ? scopesForRoles(api, await users.rolesOf(accountId)) : new Set(api.scopes.map((s) => s.name));
    return scopes.filter((scope) => holdable.has(scope));
  }

  /**
   * Tokens are for the API the user granted, even when openid was also requested; except when a
   * refresh narrows the scope to OpenID Connect scopes alone. Such a token would be for the API with
   * no scope of it (and an empty "scope" in the response, which RFC 6749 §3.3 does not allow): it is
   * a userinfo token instead, carrying the scopes asked for.
   */
  function useGrantedResource(ctx: KoaContextWithOIDC): boolean {
    const requested = words(ctx.oidc.params?.scope);
    return requested.length === 0 || requested.some((scope) => !OIDC_SCOPES.has(scope));
  }

  return { defaultResource, getResourceServerInfo, extraTokenClaims, holdableScopes, useGrantedResource };
}
