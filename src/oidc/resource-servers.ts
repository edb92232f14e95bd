// APIs as oidc-provider resource servers (RFC 8707): which API a request is for, and what a token
// for it looks like (audience, scopes the client may get, lifetime, signing algorithm, JWT format).
import type { KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { Catalog } from '../services/catalog.js';

type ClientLike = { clientId: string; scope?: string | undefined };

export function createResourceServerPolicy(catalog: Catalog) {
  /** The API a request is for when it names none: the first of the client's APIs that owns a requested scope. */
  async function defaultResource(
    ctx: KoaContextWithOIDC,
    client: ClientLike,
    oneOf?: string[],
  ): Promise<string | string[] | undefined> {
    const requested = new Set(String(ctx.oidc.params?.scope ?? '').split(' ').filter(Boolean));
    const record = await catalog.client(client.clientId);
    const candidates = oneOf ?? record?.apis ?? [];
    for (const identifier of candidates) {
      const api = await catalog.api(identifier);
      if (api?.scopes.some((s) => requested.has(s.name))) return identifier;
    }
    if (oneOf) return oneOf[0];
    // Machine-to-machine tokens always have an audience: the client's default API.
    if (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials') return record?.apis[0];
    return undefined;
  }

  async function getResourceServerInfo(
    _ctx: KoaContextWithOIDC,
    resourceIndicator: string,
    client: ClientLike,
  ): Promise<ResourceServer> {
    const [api, record] = await Promise.all([catalog.api(resourceIndicator), catalog.client(client.clientId)]);
    if (!api) throw new errors.InvalidTarget('unknown resource (API identifier)');
    if (!record?.apis.includes(api.identifier)) {
      throw new errors.InvalidTarget('this client may not request tokens for that resource');
    }
    const allowed = typeof record.metadata.scope === 'string' ? record.metadata.scope : undefined;
    const clientScopes = allowed ? new Set(allowed.split(' ')) : undefined;
    const scopes = api.scopes.map((s) => s.name).filter((name) => !clientScopes || clientScopes.has(name));
    return {
      scope: scopes.join(' '),
      audience: api.identifier,
      accessTokenTTL: api.accessTokenTtl,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: api.signingAlg } },
    } as ResourceServer;
  }

  return { defaultResource, getResourceServerInfo };
}
