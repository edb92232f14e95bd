// The public shape of clients, APIs, users and the other admin resources: what the CLI prints and
// the admin API returns. Secrets never appear here, except a client secret or registration token
// passed in explicitly right after it was made. Each shape is typed by its schema in schemas/responses.ts.
import type { ApiRecord } from '../repositories/apis.js';
import type { ClientRecord } from '../repositories/clients.js';
import type { RegistrationTokenRecord } from '../repositories/registration-tokens.js';
import type { RoleRecord } from '../repositories/roles.js';
import type { UserRecord } from '../repositories/users.js';
import type {
  ApiResponse,
  ClientResponse,
  GrantResponse,
  RegistrationTokenResponse,
  RoleResponse,
  SessionResponse,
  SigningKeyResponse,
  UserResponse,
} from '../schemas/responses.js';
import type { PublishedKeyInfo } from '../services/signing-keys.js';
import type { GrantView, SessionView } from '../services/user-access.js';

const iso = (date: Date) => date.toISOString();
const isoOrNull = (date: Date | null) => (date ? date.toISOString() : null);
const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const optional = (value: unknown) => (typeof value === 'string' ? value : undefined);

export function presentClient(client: ClientRecord, clientSecret?: string): ClientResponse {
  const m = client.metadata;
  const links = { logo_uri: optional(m.logo_uri), policy_uri: optional(m.policy_uri), tos_uri: optional(m.tos_uri), jwks_uri: optional(m.jwks_uri) };
  return {
    client_id: client.clientId,
    ...(clientSecret ? { client_secret: clientSecret } : {}),
    name: client.name,
    ...(typeof m.application_type === 'string' ? { application_type: m.application_type } : {}),
    redirect_uris: strings(m.redirect_uris),
    post_logout_redirect_uris: strings(m.post_logout_redirect_uris),
    grant_types: strings(m.grant_types),
    response_types: strings(m.response_types),
    token_endpoint_auth_method: String(m.token_endpoint_auth_method ?? 'client_secret_basic'),
    scope: typeof m.scope === 'string' ? m.scope : '',
    apis: client.apis,
    default_api: client.apis[0] ?? null,
    introspect_for: client.introspectFor,
    is_admin: client.isAdmin,
    dynamic: client.dynamic,
    ...Object.fromEntries(Object.entries(links).filter(([, v]) => v !== undefined)),
    ...presentSecurityProfile(m),
    secrets: client.secretHashes.map((s) => ({ created_at: iso(s.createdAt), expires_at: isoOrNull(s.expiresAt) })),
    created_at: iso(client.createdAt),
    updated_at: iso(client.updatedAt),
  };
}

/** The per-client protocol settings: PAR, DPoP, JAR, JARM, back-channel logout, FAPI, token exchange. */
function presentSecurityProfile(m: ClientRecord['metadata']) {
  const jwks = m.jwks as { keys: Record<string, unknown>[] } | undefined;
  const optionalFields = {
    jwks: jwks && Array.isArray(jwks.keys) ? { keys: jwks.keys } : undefined,
    authorization_signed_response_alg: optional(m.authorization_signed_response_alg),
    backchannel_logout_uri: optional(m.backchannel_logout_uri),
    backchannel_logout_session_required: typeof m.backchannel_logout_uri === 'string' ? m.backchannel_logout_session_required === true : undefined,
    fapi_profile: optional(m.fapi_profile),
    token_exchange_subject_apis: Array.isArray(m.token_exchange_subject_audiences) ? strings(m.token_exchange_subject_audiences) : undefined,
  };
  return {
    require_pushed_authorization_requests: m.require_pushed_authorization_requests === true,
    dpop_bound_access_tokens: m.dpop_bound_access_tokens === true,
    require_signed_request_object: m.require_signed_request_object === true,
    ...Object.fromEntries(Object.entries(optionalFields).filter(([, v]) => v !== undefined)),
  };
}

export function presentApi(api: ApiRecord): ApiResponse {
  return {
    id: api.id,
    identifier: api.identifier,
    name: api.name,
    scopes: api.scopes.map((s) => s.name),
    scope_descriptions: Object.fromEntries(api.scopes.map((s) => [s.name, s.description])),
    scope_roles: Object.fromEntries(api.scopes.filter((s) => s.roles.length).map((s) => [s.name, s.roles])),
    access_token_ttl: api.accessTokenTtl,
    signing_alg: api.signingAlg,
    roles_claim: api.rolesClaim,
    allow_dynamic_clients: api.allowDynamicClients,
    created_at: iso(api.createdAt),
    updated_at: iso(api.updatedAt),
  };
}

export function presentUser(user: UserRecord & { roles?: string[] }): UserResponse {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    profile: user.profile,
    disabled: user.disabled,
    has_password: user.passwordHash !== null,
    roles: user.roles ?? [],
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
  };
}

export function presentRole(role: RoleRecord): RoleResponse {
  return { id: role.id, name: role.name, description: role.description, created_at: iso(role.createdAt), updated_at: iso(role.updatedAt) };
}

export function presentRegistrationToken(record: RegistrationTokenRecord, token?: string, now = Date.now()): RegistrationTokenResponse {
  const active = !record.revokedAt && record.expiresAt.getTime() > now && (record.maxUses === null || record.uses < record.maxUses);
  return {
    id: record.id,
    ...(token ? { token } : {}),
    description: record.description,
    expires_at: iso(record.expiresAt),
    max_uses: record.maxUses,
    uses: record.uses,
    revoked_at: isoOrNull(record.revokedAt),
    active,
    created_at: iso(record.createdAt),
  };
}

export function presentGrant(grant: GrantView): GrantResponse {
  return {
    grant_id: grant.grantId,
    client_id: grant.clientId,
    openid_scopes: grant.openidScopes,
    api_scopes: grant.apiScopes,
    created_at: isoOrNull(grant.createdAt),
    expires_at: isoOrNull(grant.expiresAt),
  };
}

export function presentSession(session: SessionView): SessionResponse {
  return {
    uid: session.uid,
    clients: session.clients,
    signed_in_at: isoOrNull(session.signedInAt),
    created_at: isoOrNull(session.createdAt),
    expires_at: isoOrNull(session.expiresAt),
  };
}

export function presentSigningKey(key: PublishedKeyInfo): SigningKeyResponse {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    // The public half only; the private key never leaves its encrypted column.
    public_jwk: key.publicJwk,
    created_at: iso(key.createdAt),
    activates_at: iso(key.activatesAt),
    retired_at: isoOrNull(key.retiredAt),
    remove_after: isoOrNull(key.removeAfter),
  };
}
