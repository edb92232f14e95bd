// The public shape of clients, APIs and users: what the CLI prints and the admin API returns.
// Secrets never appear here, except a client secret passed in explicitly right after creation.
import type { ApiRecord } from '../repositories/apis.js';
import type { ClientRecord } from '../repositories/clients.js';
import type { UserRecord } from '../repositories/users.js';

export function presentClient(client: ClientRecord, clientSecret?: string) {
  const m = client.metadata;
  return {
    client_id: client.clientId,
    ...(clientSecret ? { client_secret: clientSecret } : {}),
    name: client.name,
    application_type: m.application_type,
    redirect_uris: m.redirect_uris ?? [],
    post_logout_redirect_uris: m.post_logout_redirect_uris ?? [],
    grant_types: m.grant_types ?? [],
    response_types: m.response_types ?? [],
    token_endpoint_auth_method: m.token_endpoint_auth_method,
    scope: m.scope ?? '',
    apis: client.apis,
    default_api: client.apis[0] ?? null,
    introspect_for: client.introspectFor,
    is_admin: client.isAdmin,
    dynamic: client.dynamic,
    ...(m.logo_uri ? { logo_uri: m.logo_uri } : {}),
    ...(m.policy_uri ? { policy_uri: m.policy_uri } : {}),
    ...(m.tos_uri ? { tos_uri: m.tos_uri } : {}),
    ...(m.jwks_uri ? { jwks_uri: m.jwks_uri } : {}),
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
  };
}

export function presentApi(api: ApiRecord) {
  return {
    identifier: api.identifier,
    name: api.name,
    scopes: api.scopes.map((s) => s.name),
    scope_descriptions: Object.fromEntries(api.scopes.map((s) => [s.name, s.description])),
    access_token_ttl: api.accessTokenTtl,
    signing_alg: api.signingAlg,
    created_at: api.createdAt.toISOString(),
    updated_at: api.updatedAt.toISOString(),
  };
}

export function presentUser(user: UserRecord) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    name: user.name,
    disabled: user.disabled,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}
