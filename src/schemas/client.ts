// Input rules for registering and changing a client (an application, or a resource server's own
// client). The same rules apply to the CLI, the admin API and dynamic registration.
import { z } from 'zod';

import { publicJwksSchema } from './jwks.js';
import { apiIdentifierSchema, httpsUrlSchema, notificationUriSchema, redirectUriSchema } from './uris.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT] as const;
/** Algorithms a client may choose for signed authorization responses (JARM). */
export const RESPONSE_SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
/** Security profiles a client can be held to (FAPI 2.0 Security Profile). */
export const FAPI_PROFILES = ['2.0'] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export const SECRET_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
/** Longest time an old secret keeps working after a rotation. */
export const MAX_SECRET_OVERLAP_SECONDS = 30 * 24 * 3600;

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const clientScopeSchema = z
  .string()
  .trim()
  .max(4000)
  .refine((value) => value.split(' ').every((token) => SCOPE_TOKEN.test(token)), 'must be space-separated scope tokens')
  .meta({ description: 'Space-separated scopes the client may request: OpenID Connect scopes and scopes of its APIs.' });

const fields = {
  name: z.string().trim().min(1).max(200),
  redirectUris: z.array(redirectUriSchema).max(50),
  postLogoutRedirectUris: z.array(redirectUriSchema).max(50),
  grantTypes: z.array(z.enum(GRANT_TYPES)).max(GRANT_TYPES.length),
  scope: clientScopeSchema,
  public: z.boolean().meta({ description: 'A public client (a SPA or native app) has no secret and authenticates with none.' }),
  apis: z.array(apiIdentifierSchema).max(50).meta({ description: 'Identifiers of the APIs the client may request tokens for; the first is its default.' }),
  introspectFor: apiIdentifierSchema.meta({ description: "Makes this a resource server's own client: it may introspect that API's tokens and do nothing else." }),
  tokenEndpointAuthMethod: z.enum(AUTH_METHODS),
  jwksUri: httpsUrlSchema,
  logoUri: httpsUrlSchema,
  policyUri: httpsUrlSchema,
  tosUri: httpsUrlSchema,
  isAdmin: z.boolean().meta({ description: 'An admin client: client_credentials for the admin API, nothing else.' }),
  jwks: publicJwksSchema,
  requirePushedAuthorizationRequests: z.boolean().meta({ description: 'Authorization requests must be pushed first (PAR, RFC 9126); a plain request to the authorization endpoint is refused.' }),
  dpopBoundAccessTokens: z.boolean().meta({ description: 'Every token request must carry a DPoP proof (RFC 9449): tokens are bound to the client\'s key.' }),
  requireSignedRequestObject: z.boolean().meta({ description: 'Authorization requests must come as a signed request object (JAR, RFC 9101). Needs jwksUri or jwks.' }),
  authorizationSignedResponseAlg: z.enum(RESPONSE_SIGNING_ALGS).meta({ description: 'Algorithm of signed authorization responses (JARM, response_mode=jwt).' }),
  backchannelLogoutUri: notificationUriSchema.meta({ description: 'Receives a signed logout token when a user\'s session ends (OpenID Connect Back-Channel Logout).' }),
  backchannelLogoutSessionRequired: z.boolean().meta({ description: 'Logout tokens carry the session id (sid).' }),
  fapiProfile: z.enum(FAPI_PROFILES).meta({ description: 'Holds the client to the FAPI 2.0 Security Profile: PAR, PKCE S256, DPoP, private_key_jwt, 60-second codes, response type code only.' }),
  tokenExchangeSubjectApis: z
    .array(apiIdentifierSchema)
    .max(50)
    .meta({ description: 'Token exchange (RFC 8693): the APIs whose access tokens this client may exchange (the tokens it receives as a service).' }),
};

export interface ClientRuleInput {
  redirectUris: string[];
  grantTypes?: readonly string[] | undefined;
  public: boolean;
  apis: string[];
  introspectFor?: string | undefined;
  tokenEndpointAuthMethod?: string | undefined;
  jwksUri?: string | undefined;
  jwks?: unknown;
  isAdmin: boolean;
  requirePushedAuthorizationRequests?: boolean | undefined;
  dpopBoundAccessTokens?: boolean | undefined;
  requireSignedRequestObject?: boolean | undefined;
  backchannelLogoutSessionRequired?: boolean | undefined;
  backchannelLogoutUri?: string | undefined;
  fapiProfile?: string | undefined;
  tokenExchangeSubjectApis?: readonly string[] | undefined;
}

/** Rules across fields, for a new client and for a client after a change alike. */
export function checkClientRules(input: ClientRuleInput, ctx: z.RefinementCtx): void {
  const grants = input.grantTypes ?? [];
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (input.introspectFor && (grants.length || input.redirectUris.length || input.apis.length || input.public || input.isAdmin)) {
    issue('introspectFor', 'a resource server client may introspect and do nothing else: no grant types, redirect URIs, APIs, and not public or admin');
  }
  if (grants.includes('refresh_token') && !grants.includes('authorization_code') && !grants.includes(DEVICE_CODE_GRANT)) {
    issue('grantTypes', 'refresh_token requires authorization_code or the device code grant');
  }
  if (grants.includes('authorization_code') && !input.redirectUris.length) {
    issue('redirectUris', 'authorization_code requires at least one redirect URI');
  }
  if (input.public && grants.includes('client_credentials')) {
    issue('grantTypes', 'a public client cannot use client_credentials');
  }
  if (input.public && input.tokenEndpointAuthMethod && input.tokenEndpointAuthMethod !== 'none') {
    issue('tokenEndpointAuthMethod', 'a public client authenticates with none');
  }
  if (!input.public && input.tokenEndpointAuthMethod === 'none') {
    issue('tokenEndpointAuthMethod', 'none is only for public clients');
  }
  if (input.tokenEndpointAuthMethod === 'private_key_jwt' && !input.jwksUri && !input.jwks) {
    issue('jwksUri', 'private_key_jwt requires jwksUri or jwks');
  }
  if (input.jwksUri && input.jwks) issue('jwks', 'give jwksUri or jwks, not both');
  if (input.requireSignedRequestObject && !input.jwksUri && !input.jwks) {
    issue('requireSignedRequestObject', 'signed request objects need the client\'s keys: jwksUri or jwks');
  }
  if (input.backchannelLogoutSessionRequired && !input.backchannelLogoutUri) {
    issue('backchannelLogoutSessionRequired', 'requires backchannelLogoutUri');
  }
  checkTokenExchangeRules(input, issue);
  checkFapiRules(input, issue);
  if (input.isAdmin) {
    if (input.public) issue('public', 'an admin client is confidential');
    if (input.redirectUris.length) issue('redirectUris', 'an admin client signs no users in: no redirect URIs');
    if (grants.some((g) => g !== 'client_credentials')) issue('grantTypes', 'an admin client uses client_credentials only');
  }
}

function checkTokenExchangeRules(input: ClientRuleInput, issue: (path: string, message: string) => void): void {
  const exchanges = (input.grantTypes ?? []).includes(TOKEN_EXCHANGE_GRANT);
  if (exchanges && input.public) issue('grantTypes', 'a public client cannot use token exchange');
  if (exchanges && !input.tokenExchangeSubjectApis?.length) {
    issue('tokenExchangeSubjectApis', 'token exchange needs the APIs whose tokens the client may exchange');
  }
  if (exchanges && !input.apis.length) issue('apis', 'token exchange needs at least one API to exchange tokens for');
  if (!exchanges && input.tokenExchangeSubjectApis?.length) {
    issue('tokenExchangeSubjectApis', `only for clients with the ${TOKEN_EXCHANGE_GRANT} grant`);
  }
}

/** FAPI 2.0 Security Profile §5.3.2 (authorization server): what a client held to it cannot opt out of. */
function checkFapiRules(input: ClientRuleInput, issue: (path: string, message: string) => void): void {
  if (input.fapiProfile !== '2.0') return;
  if (input.public) issue('public', 'FAPI 2.0 clients are confidential');
  if (input.tokenEndpointAuthMethod !== 'private_key_jwt') {
    // mTLS client authentication is the other FAPI 2.0 option; Gatehouse does not terminate client TLS.
    issue('tokenEndpointAuthMethod', 'FAPI 2.0 requires private_key_jwt');
  }
  if (input.requirePushedAuthorizationRequests === false) issue('requirePushedAuthorizationRequests', 'FAPI 2.0 requires pushed authorization requests');
  if (input.dpopBoundAccessTokens === false) issue('dpopBoundAccessTokens', 'FAPI 2.0 requires sender-constrained tokens (DPoP)');
  const allowed = new Set<string>(['authorization_code', 'refresh_token', 'client_credentials']);
  if ((input.grantTypes ?? []).some((g) => !allowed.has(g))) issue('grantTypes', 'FAPI 2.0 clients use authorization_code, refresh_token and client_credentials only');
}

export const createClientSchema = z
  .strictObject({
    name: fields.name,
    redirectUris: fields.redirectUris.default([]),
    postLogoutRedirectUris: fields.postLogoutRedirectUris.default([]),
    grantTypes: fields.grantTypes.optional(),
    scope: fields.scope.optional(),
    public: fields.public.default(false),
    apis: fields.apis.default([]),
    introspectFor: fields.introspectFor.optional(),
    tokenEndpointAuthMethod: fields.tokenEndpointAuthMethod.optional(),
    jwksUri: fields.jwksUri.optional(),
    logoUri: fields.logoUri.optional(),
    policyUri: fields.policyUri.optional(),
    tosUri: fields.tosUri.optional(),
    isAdmin: fields.isAdmin.default(false),
    jwks: fields.jwks.optional(),
    requirePushedAuthorizationRequests: fields.requirePushedAuthorizationRequests.optional(),
    dpopBoundAccessTokens: fields.dpopBoundAccessTokens.optional(),
    requireSignedRequestObject: fields.requireSignedRequestObject.optional(),
    authorizationSignedResponseAlg: fields.authorizationSignedResponseAlg.optional(),
    backchannelLogoutUri: fields.backchannelLogoutUri.optional(),
    backchannelLogoutSessionRequired: fields.backchannelLogoutSessionRequired.optional(),
    fapiProfile: fields.fapiProfile.optional(),
    tokenExchangeSubjectApis: fields.tokenExchangeSubjectApis.optional(),
  })
  .superRefine(checkClientRules);

export type CreateClientInput = z.input<typeof createClientSchema>;
export type ParsedClientInput = z.output<typeof createClientSchema>;

/** What may change on an existing client; `null` removes an optional link. */
export const updateClientSchema = z.strictObject({
  name: fields.name.optional(),
  redirectUris: fields.redirectUris.optional(),
  postLogoutRedirectUris: fields.postLogoutRedirectUris.optional(),
  grantTypes: fields.grantTypes.optional(),
  scope: fields.scope.optional(),
  apis: fields.apis.optional(),
  tokenEndpointAuthMethod: z
    .enum(SECRET_AUTH_METHODS)
    .optional()
    .meta({ description: 'Only between client_secret_basic and client_secret_post: other changes of authentication need a new client.' }),
  jwksUri: fields.jwksUri.nullable().optional(),
  logoUri: fields.logoUri.nullable().optional(),
  policyUri: fields.policyUri.nullable().optional(),
  tosUri: fields.tosUri.nullable().optional(),
  jwks: fields.jwks.nullable().optional(),
  requirePushedAuthorizationRequests: fields.requirePushedAuthorizationRequests.optional(),
  dpopBoundAccessTokens: fields.dpopBoundAccessTokens.optional(),
  requireSignedRequestObject: fields.requireSignedRequestObject.optional(),
  authorizationSignedResponseAlg: fields.authorizationSignedResponseAlg.nullable().optional(),
  backchannelLogoutUri: fields.backchannelLogoutUri.nullable().optional(),
  backchannelLogoutSessionRequired: fields.backchannelLogoutSessionRequired.optional(),
  fapiProfile: fields.fapiProfile.nullable().optional(),
  tokenExchangeSubjectApis: fields.tokenExchangeSubjectApis.optional(),
});

export type UpdateClientInput = z.input<typeof updateClientSchema>;

export const rotateSecretSchema = z.strictObject({
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_SECRET_OVERLAP_SECONDS)
    .default(0)
    .meta({ description: 'How long the current secret keeps working beside the new one (0: it stops at once).' }),
});

export type RotateSecretInput = z.input<typeof rotateSecretSchema>;
