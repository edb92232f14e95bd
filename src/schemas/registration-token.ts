// Input rules for initial access tokens (dynamic client registration).
import { z } from 'zod';

export const DEFAULT_REGISTRATION_TOKEN_TTL = 24 * 3600;
export const MAX_REGISTRATION_TOKEN_TTL = 365 * 24 * 3600;

export const createRegistrationTokenSchema = z.strictObject({
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(MAX_REGISTRATION_TOKEN_TTL)
    .default(DEFAULT_REGISTRATION_TOKEN_TTL)
    .meta({ description: 'Lifetime in seconds (default one day).' }),
  maxUses: z.number().int().min(1).max(1_000_000).optional().meta({ description: 'How many clients it may register (default: any number until it expires).' }),
  description: z.string().trim().min(1).max(500).optional(),
});

export type CreateRegistrationTokenInput = z.input<typeof createRegistrationTokenSchema>;
