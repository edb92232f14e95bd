// Input rules for registering an API (resource server).
import { z } from 'zod';

import { accessTokenAlgs } from '../config/config.js';
import { apiIdentifierSchema } from './uris.js';

export const STANDARD_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;

// RFC 6749 §3.3 scope-token characters.
export const scopeNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be a scope token (printable ASCII, no spaces, quotes or backslashes)')
  .refine((name) => !(STANDARD_SCOPES as readonly string[]).includes(name), 'is a standard OpenID Connect scope, not an API scope');

export const createApiSchema = z.strictObject({
  identifier: apiIdentifierSchema,
  name: z.string().trim().min(1).max(200).optional(),
  scopes: z
    .array(z.strictObject({ name: scopeNameSchema, description: z.string().trim().max(500).nullable().optional() }))
    .max(200)
    .refine((scopes) => new Set(scopes.map((s) => s.name)).size === scopes.length, 'scope names must be unique'),
  accessTokenTtl: z.number().int().min(30).max(24 * 3600).optional(),
  signingAlg: z.enum(accessTokenAlgs).optional(),
});

export type CreateApiInput = z.input<typeof createApiSchema>;
