// A registered client seen as the input that would register it again: what a partial update
// (PATCH, `clients update`) is merged into before the whole result is validated like a new client.
import type { ClientMetadata, ClientRecord } from '../repositories/clients.js';
import type { CreateClientInput, UpdateClientInput } from '../schemas/client.js';

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
    ...securityProfileOf(m),
  };
}

/** The per-client protocol settings (PAR, DPoP, JAR, JARM, back-channel logout, FAPI, token exchange) as input. */
function securityProfileOf(m: ClientMetadata): Partial<CreateClientInput> {
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const flag = (value: unknown) => (value === true ? true : undefined);
  return definedOnly({
    jwks: m.jwks && typeof m.jwks === 'object' ? (m.jwks as CreateClientInput['jwks']) : undefined,
    requirePushedAuthorizationRequests: flag(m.require_pushed_authorization_requests),
    dpopBoundAccessTokens: flag(m.dpop_bound_access_tokens),
    requireSignedRequestObject: flag(m.require_signed_request_object),
    authorizationSignedResponseAlg: str(m.authorization_signed_response_alg) as CreateClientInput['authorizationSignedResponseAlg'],
    backchannelLogoutUri: str(m.backchannel_logout_uri),
    backchannelLogoutSessionRequired: flag(m.backchannel_logout_session_required),
    fapiProfile: str(m.fapi_profile) as CreateClientInput['fapiProfile'],
    tokenExchangeSubjectApis: Array.isArray(m.token_exchange_subject_audiences) ? (m.token_exchange_subject_audiences as string[]) : undefined,
  });
}

/** A patch's protocol settings over the current ones: `null` removes, `false` turns off, absent keeps. */
export function mergeSecurityProfile(before: Partial<CreateClientInput>, patch: UpdateClientInput): Partial<CreateClientInput> {
  const pick = <K extends keyof UpdateClientInput & keyof CreateClientInput>(key: K) => {
    const value = patch[key];
    if (value === null) return undefined;
    return value === undefined ? before[key] : value;
  };
  return {
    jwks: pick('jwks') as CreateClientInput['jwks'],
    requirePushedAuthorizationRequests: pick('requirePushedAuthorizationRequests') as boolean | undefined,
    dpopBoundAccessTokens: pick('dpopBoundAccessTokens') as boolean | undefined,
    requireSignedRequestObject: pick('requireSignedRequestObject') as boolean | undefined,
    authorizationSignedResponseAlg: pick('authorizationSignedResponseAlg') as CreateClientInput['authorizationSignedResponseAlg'],
    backchannelLogoutUri: pick('backchannelLogoutUri') as string | undefined,
    backchannelLogoutSessionRequired: pick('backchannelLogoutSessionRequired') as boolean | undefined,
    fapiProfile: pick('fapiProfile') as CreateClientInput['fapiProfile'],
    tokenExchangeSubjectApis: pick('tokenExchangeSubjectApis') as string[] | undefined,
  };
}

/** Metadata a client may carry besides the fields Gatehouse derives (from dynamic registration). */
export function preservedMetadata(metadata: ClientMetadata): ClientMetadata {
  const derived = new Set(['client_name', 'application_type', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'token_endpoint_auth_method', 'scope', 'jwks_uri', 'logo_uri', 'policy_uri', 'tos_uri',
    'jwks', 'require_pushed_authorization_requests', 'dpop_bound_access_tokens', 'require_signed_request_object', 'authorization_signed_response_alg',
    'backchannel_logout_uri', 'backchannel_logout_session_required', 'fapi_profile', 'token_exchange_subject_audiences']);
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !derived.has(key)));
}

export function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
