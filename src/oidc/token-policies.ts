// Who may introspect or revoke which token.
// Introspection: a resource server's client sees only access tokens for its own API; any other
// client sees only its own tokens. Everything else is {"active": false} (RFC 7662 §2.2).
// Revocation: only the client the token was issued to (RFC 7009 §2.1).
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { Catalog } from '../services/catalog.js';

interface TokenLike {
  kind: string;
  clientId?: string | undefined;
  aud?: string | string[] | undefined;
}

interface ClientLike {
  clientId: string;
  clientAuthMethod: string;
}

const ACCESS_TOKEN_KINDS = new Set(['AccessToken', 'ClientCredentials']);

export function createTokenPolicies(catalog: Catalog) {
  async function introspectionAllowed(_ctx: KoaContextWithOIDC, client: ClientLike, token: TokenLike): Promise<boolean> {
    if (!token.clientId || !(await catalog.client(token.clientId))) return false;
    const caller = await catalog.client(client.clientId);
    if (!caller) return false;
    if (caller.introspectFor) {
      const audiences = Array.isArray(token.aud) ? token.aud : token.aud ? [token.aud] : [];
      return ACCESS_TOKEN_KINDS.has(token.kind) && audiences.includes(caller.introspectFor);
    }
    return client.clientAuthMethod !== 'none' && token.clientId === client.clientId;
  }

  async function revocationAllowed(_ctx: KoaContextWithOIDC, client: ClientLike, token: TokenLike): Promise<boolean> {
    if (token.clientId === client.clientId) return true;
    // A public client cannot prove who it is: silently no effect rather than an oracle.
    if (client.clientAuthMethod === 'none') return false;
    throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
  }

  return { introspectionAllowed, revocationAllowed };
}
