// The shapes the admin API answers with (and the CLI prints with --json). The presenters are typed
// by these schemas, so the OpenAPI document generated from them cannot drift from the responses.
import { z } from 'zod';

const timestamp = z.iso.datetime();

export const clientResponseSchema = z
  .strictObject({
    client_id: z.string(),
    client_secret: z.string().optional().meta({ description: 'Only in the answer to create and rotate-secret: store it, it is never shown again.' }),
    name: z.string(),
    application_type: z.string().optional(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    grant_types: z.array(z.string()),
    response_types: z.array(z.string()),
    token_endpoint_auth_method: z.string(),
    scope: z.string(),
    apis: z.array(z.string()),
    default_api: z.string().nullable(),
    introspect_for: z.string().nullable(),
    is_admin: z.boolean(),
    dynamic: z.boolean().meta({ description: 'Registered through dynamic client registration (not verified by the operator).' }),
    logo_uri: z.string().optional(),
    policy_uri: z.string().optional(),
    tos_uri: z.string().optional(),
    jwks_uri: z.string().optional(),
    jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
    require_pushed_authorization_requests: z.boolean(),
    dpop_bound_access_tokens: z.boolean(),
    require_signed_request_object: z.boolean(),
    authorization_signed_response_alg: z.string().optional(),
    backchannel_logout_uri: z.string().optional(),
    backchannel_logout_session_required: z.boolean().optional(),
    fapi_profile: z.string().optional().meta({ description: 'The security profile the client is held to (FAPI 2.0).' }),
    token_exchange_subject_apis: z.array(z.string()).optional().meta({ description: 'Token exchange: the APIs whose tokens the client may exchange.' }),
    secrets: z
      .array(z.strictObject({ created_at: timestamp, expires_at: timestamp.nullable() }))
      .meta({ description: 'The secrets that currently work (never their values): more than one during a rotation overlap.' }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Client' });

export const apiResponseSchema = z
  .strictObject({
    id: z.string(),
    identifier: z.string(),
    name: z.string(),
    scopes: z.array(z.string()),
    scope_descriptions: z.record(z.string(), z.string().nullable()),
    scope_roles: z.record(z.string(), z.array(z.string())).meta({ description: 'Restricted scopes and the roles they are reserved for.' }),
    access_token_ttl: z.number().int(),
    signing_alg: z.string(),
    roles_claim: z.boolean(),
    allow_dynamic_clients: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Api' });

export const userResponseSchema = z
  .strictObject({
    id: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    name: z.string().nullable(),
    profile: z.record(z.string(), z.unknown()),
    disabled: z.boolean(),
    has_password: z.boolean(),
    roles: z.array(z.string()),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'User' });

export const roleResponseSchema = z
  .strictObject({ id: z.string(), name: z.string(), description: z.string().nullable(), created_at: timestamp, updated_at: timestamp })
  .meta({ id: 'Role' });

export const registrationTokenResponseSchema = z
  .strictObject({
    id: z.string(),
    token: z.string().optional().meta({ description: 'Only in the answer to create: it is never shown again.' }),
    description: z.string().nullable(),
    expires_at: timestamp,
    max_uses: z.number().int().nullable(),
    uses: z.number().int(),
    revoked_at: timestamp.nullable(),
    active: z.boolean(),
    created_at: timestamp,
  })
  .meta({ id: 'RegistrationToken' });

export const grantResponseSchema = z
  .strictObject({
    grant_id: z.string(),
    client_id: z.string(),
    openid_scopes: z.array(z.string()),
    api_scopes: z.record(z.string(), z.array(z.string())),
    created_at: timestamp.nullable(),
    expires_at: timestamp.nullable(),
  })
  .meta({ id: 'Grant' });

export const sessionResponseSchema = z
  .strictObject({
    uid: z.string(),
    clients: z.array(z.string()),
    signed_in_at: timestamp.nullable(),
    created_at: timestamp.nullable(),
    expires_at: timestamp.nullable(),
  })
  .meta({ id: 'Session' });

export const signingKeyResponseSchema = z
  .strictObject({
    kid: z.string(),
    alg: z.string(),
    state: z.enum(['next', 'current', 'retired']),
    public_jwk: z.record(z.string(), z.unknown()),
    created_at: timestamp,
    activates_at: timestamp,
    retired_at: timestamp.nullable(),
    remove_after: timestamp.nullable(),
  })
  .meta({ id: 'SigningKey' });

export const errorResponseSchema = z
  .strictObject({
    code: z.string(),
    message: z.string(),
    request_id: z.string().optional(),
    fields: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

export type ClientResponse = z.output<typeof clientResponseSchema>;
export type ApiResponse = z.output<typeof apiResponseSchema>;
export type UserResponse = z.output<typeof userResponseSchema>;
export type RoleResponse = z.output<typeof roleResponseSchema>;
export type RegistrationTokenResponse = z.output<typeof registrationTokenResponseSchema>;
export type GrantResponse = z.output<typeof grantResponseSchema>;
export type SessionResponse = z.output<typeof sessionResponseSchema>;
export type SigningKeyResponse = z.output<typeof signingKeyResponseSchema>;
