// Input rules for creating a user.
import { z } from 'zod';

import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../services/passwords.js';

export const usernameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may contain letters, digits, ".", "_" and "-" (and no "@")');

export const passwordSchema = z
  .string()
  .refine((p) => [...p].length >= PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((p) => [...p].length <= PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

export const createUserSchema = z.strictObject({
  username: usernameSchema,
  email: z.email().max(254).optional(),
  emailVerified: z.boolean().default(false),
  name: z.string().trim().min(1).max(200).optional(),
  password: passwordSchema,
});

export type CreateUserInput = z.input<typeof createUserSchema>;
