// Input rules for registering and changing an API (resource server) and its scopes.
import { z } from 'zod';

import { accessTokenAlgs } from '../config/config.js';
import { roleListSchema } from './role.js';
import { apiIdentifierSchema } from './uris.js';

export const STANDARD_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;

// RFC 6749 §3.3 scope-token characters.
export const scopeNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be a scope token (printable ASCII, no spaces, quotes or backslashes)')
  .refine((name) => !(STANDARD_SCOPES as readonly string[]).includes(name), 'is a standard OpenID Connect scope, not an API scope');

const scopeDescriptionSchema = z.string().trim().max(500).nullable().optional().meta({ description: 'Shown to users on the consent page.' });
const scopeRolesSchema = roleListSchema.optional().meta({
  description: 'Only users with one of these roles may be granted the scope (none: any user).',
});

export const apiScopeSchema = z.strictObject({
  name: scopeNameSchema,
  description: scopeDescriptionSchema,
  roles: scopeRolesSchema,
});

const ttlSchema = z.number().int().min(30).max(24 * 3600).meta({ description: 'Access-token lifetime in seconds.' });
const rolesClaimSchema = z.boolean().meta({ description: "Access tokens for this API carry the user's roles in a `roles` claim." });
const allowDynamicClientsSchema = z.boolean().meta({ description: 'Dynamically registered clients may ask for the scopes of this API.' });

export const createApiSchema = z.strictObject({
  identifier: apiIdentifierSchema,
  name: z.string().trim().min(1).max(200).optional(),
  scopes: z
    .array(apiScopeSchema)
    .max(200)
    .refine((scopes) => new Set(scopes.map((s) => s.name)).size === scopes.length, 'scope names must be unique'),
  accessTokenTtl: ttlSchema.optional(),
  signingAlg: z.enum(accessTokenAlgs).optional(),
  rolesClaim: rolesClaimSchema.default(false),
  allowDynamicClients: allowDynamicClientsSchema.default(false),
});

export const updateApiSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  accessTokenTtl: ttlSchema.optional(),
  signingAlg: z.enum(accessTokenAlgs).optional(),
  rolesClaim: rolesClaimSchema.optional(),
  allowDynamicClients: allowDynamicClientsSchema.optional(),
});

/** One scope, created or replaced: its description and role restriction. */
export const putScopeSchema = z.strictObject({
  description: scopeDescriptionSchema,
  roles: scopeRolesSchema,
});

export type CreateApiInput = z.input<typeof createApiSchema>;
export type UpdateApiInput = z.input<typeof updateApiSchema>;
export type PutScopeInput = z.input<typeof putScopeSchema>;
