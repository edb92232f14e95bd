// A registered client seen as the input that would register it again: what a partial update
// (PATCH, `clients update`) is merged into before the whole result is validated like a new client.
import type { ClientMetadata, ClientRecord } from '../repositories/clients.js';
import type { CreateClientInput } from '../schemas/client.js';

/** The input that would register a client exactly as it is now. */
export function inputOf(client: ClientRecord): CreateClientInput & { scope?: string | undefined } {
  const m = client.metadata;
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  const method = str(m.token_endpoint_auth_method);
  return {
    name: client.name,
    redirectUris: strings(m.redirect_uris),
    postLogoutRedirectUris: strings(m.post_logout_redirect_uris),
    grantTypes: strings(m.grant_types) as CreateClientInput['grantTypes'],
    scope: str(m.scope),
    public: method === 'none',
    apis: client.introspectFor ? [] : client.apis,
    introspectFor: client.introspectFor ?? undefined,
    tokenEndpointAuthMethod: method as CreateClientInput['tokenEndpointAuthMethod'],
    jwksUri: str(m.jwks_uri),
    logoUri: str(m.logo_uri),
    policyUri: str(m.policy_uri),
    tosUri: str(m.tos_uri),
    isAdmin: client.isAdmin,
  };
}

/** Metadata a client may carry besides the fields Gatehouse derives (from dynamic registration). */
export function preservedMetadata(metadata: ClientMetadata): ClientMetadata {
  const derived = new Set(['client_name', 'application_type', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'token_endpoint_auth_method', 'scope', 'jwks_uri', 'logo_uri', 'policy_uri', 'tos_uri']);
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !derived.has(key)));
}

export function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
