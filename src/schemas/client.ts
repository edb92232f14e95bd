// Input rules for registering a client (an application, or a resource server's own client).
import { z } from 'zod';

import { apiIdentifierSchema, httpsUrlSchema, redirectUriSchema } from './uris.js';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

export const createClientSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    redirectUris: z.array(redirectUriSchema).max(50).default([]),
    postLogoutRedirectUris: z.array(redirectUriSchema).max(50).default([]),
    grantTypes: z.array(z.enum(GRANT_TYPES)).max(3).optional(),
    scope: z
      .string()
      .trim()
      .max(4000)
      .refine((value) => value.split(' ').every((token) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(token)), 'must be space-separated scope tokens')
      .optional(),
    public: z.boolean().default(false),
    apis: z.array(apiIdentifierSchema).max(50).default([]),
    introspectFor: apiIdentifierSchema.optional(),
    tokenEndpointAuthMethod: z.enum(AUTH_METHODS).optional(),
    jwksUri: httpsUrlSchema.optional(),
    logoUri: httpsUrlSchema.optional(),
    policyUri: httpsUrlSchema.optional(),
    tosUri: httpsUrlSchema.optional(),
    isAdmin: z.boolean().default(false),
  })
  .superRefine((input, ctx) => {
    const grants = input.grantTypes ?? [];
    if (input.introspectFor && (grants.length || input.redirectUris.length || input.apis.length || input.public)) {
      ctx.addIssue({ code: 'custom', path: ['introspectFor'], message: 'a resource server client may introspect and do nothing else: no grant types, redirect URIs, APIs, and not public' });
    }
    if (grants.includes('refresh_token') && !grants.includes('authorization_code')) {
      ctx.addIssue({ code: 'custom', path: ['grantTypes'], message: 'refresh_token requires authorization_code' });
    }
    if (grants.includes('authorization_code') && !input.redirectUris.length) {
      ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'authorization_code requires at least one redirect URI' });
    }
    if (input.public && grants.includes('client_credentials')) {
      ctx.addIssue({ code: 'custom', path: ['grantTypes'], message: 'a public client cannot use client_credentials' });
    }
    if (input.public && input.tokenEndpointAuthMethod && input.tokenEndpointAuthMethod !== 'none') {
      ctx.addIssue({ code: 'custom', path: ['tokenEndpointAuthMethod'], message: 'a public client authenticates with none' });
    }
    if (!input.public && input.tokenEndpointAuthMethod === 'none') {
      ctx.addIssue({ code: 'custom', path: ['tokenEndpointAuthMethod'], message: 'none is only for public clients' });
    }
    if (input.tokenEndpointAuthMethod === 'private_key_jwt' && !input.jwksUri) {
      ctx.addIssue({ code: 'custom', path: ['jwksUri'], message: 'private_key_jwt requires jwksUri' });
    }
  });

export type CreateClientInput = z.input<typeof createClientSchema>;
