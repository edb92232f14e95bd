// Input rules for registering and changing a client (an application, or a resource server's own
// client). The same rules apply to the CLI, the admin API and dynamic registration.
import { z } from 'zod';

import { apiIdentifierSchema, httpsUrlSchema, redirectUriSchema } from './uris.js';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
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
  grantTypes: z.array(z.enum(GRANT_TYPES)).max(3),
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
};

export interface ClientRuleInput {
  redirectUris: string[];
  grantTypes?: readonly string[] | undefined;
  public: boolean;
  apis: string[];
  introspectFor?: string | undefined;
  tokenEndpointAuthMethod?: string | undefined;
  jwksUri?: string | undefined;
  isAdmin: boolean;
}

/** Rules across fields, for a new client and for a client after a change alike. */
export function checkClientRules(input: ClientRuleInput, ctx: z.RefinementCtx): void {
  const grants = input.grantTypes ?? [];
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (input.introspectFor && (grants.length || input.redirectUris.length || input.apis.length || input.public || input.isAdmin)) {
    issue('introspectFor', 'a resource server client may introspect and do nothing else: no grant types, redirect URIs, APIs, and not public or admin');
  }
  if (grants.includes('refresh_token') && !grants.includes('authorization_code')) {
    issue('grantTypes', 'refresh_token requires authorization_code');
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
  if (input.tokenEndpointAuthMethod === 'private_key_jwt' && !input.jwksUri) {
    issue('jwksUri', 'private_key_jwt requires jwksUri');
  }
  if (input.isAdmin) {
    if (input.public) issue('public', 'an admin client is confidential');
    if (input.redirectUris.length) issue('redirectUris', 'an admin client signs no users in: no redirect URIs');
    if (grants.some((g) => g !== 'client_credentials')) issue('grantTypes', 'an admin client uses client_credentials only');
  }
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
