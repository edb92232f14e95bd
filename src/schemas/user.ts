// Input rules for creating and changing users.
import { z } from 'zod';

import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, isCommonPassword, passwordLength } from '../services/password-policy.js';
import { roleListSchema } from './role.js';
import { httpsUrlSchema } from './uris.js';

export const usernameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may contain letters, digits, ".", "_" and "-" (and no "@")');

export const passwordSchema = z
  .string()
  .refine((p) => passwordLength(p) >= PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((p) => passwordLength(p) <= PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
  .refine((p) => !isCommonPassword(p), 'is on the list of common passwords; choose another');

const shortText = z.string().trim().min(1).max(200);

/** Standard claims (OpenID Connect Core §5.1) kept in the profile, by claim name. */
export const profileSchema = z
  .strictObject({
    given_name: shortText.optional(),
    family_name: shortText.optional(),
    middle_name: shortText.optional(),
    nickname: shortText.optional(),
    picture: httpsUrlSchema.optional(),
    website: httpsUrlSchema.optional(),
    profile: httpsUrlSchema.optional(),
    gender: z.string().trim().min(1).max(50).optional(),
    birthdate: z.string().regex(/^\d{4}$|^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD or YYYY').optional(),
    zoneinfo: z
      .string()
      .max(64)
      .refine((v) => v.split('/').every((part, i) => (i === 0 ? /^[A-Za-z_]+$/ : /^[A-Za-z0-9_+-]+$/).test(part)), 'must be a time zone such as Europe/Paris')
      .optional(),
    locale: z
      .string()
      .max(35)
      .refine((v) => v.split(/[-_]/).every((part, i) => (i === 0 ? /^[A-Za-z]{2,3}$/ : /^[A-Za-z0-9]{2,8}$/).test(part)), 'must be a language tag such as en-GB')
      .optional(),
    phone_number: z.string().max(32).regex(/^\+?[0-9 ()-]{3,31}$/, 'must be a phone number').optional(),
    phone_number_verified: z.boolean().optional(),
  })
  .meta({ description: 'Further standard claims, by claim name.' });

const emailSchema = z.email().max(254);

export const createUserSchema = z.strictObject({
  username: usernameSchema,
  email: emailSchema.optional(),
  emailVerified: z.boolean().default(false),
  name: shortText.optional(),
  password: passwordSchema.optional().meta({ description: 'Without one the user cannot sign in until a password is set.' }),
  roles: roleListSchema.default([]),
  profile: profileSchema.default({}),
});

export const updateUserSchema = z.strictObject({
  email: emailSchema.nullable().optional(),
  emailVerified: z.boolean().optional(),
  name: shortText.nullable().optional(),
  profile: profileSchema.optional().meta({ description: 'Replaces the whole profile.' }),
  disabled: z.boolean().optional().meta({ description: 'A disabled user cannot sign in; their sessions end and their grants and tokens are revoked.' }),
});

export const setPasswordSchema = z.strictObject({ password: passwordSchema });
export const setRolesSchema = z.strictObject({ roles: roleListSchema });

export type CreateUserInput = z.input<typeof createUserSchema>;
export type UpdateUserInput = z.input<typeof updateUserSchema>;
