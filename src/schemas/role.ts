// Input rules for roles: a short name (what scope restrictions and the roles claim refer to) and a description.
import { z } from 'zod';

export const roleNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]*$/, 'may contain letters, digits, ":", ".", "_" and "-"')
  .meta({ description: 'The role name, e.g. staff' });

export const roleListSchema = z
  .array(roleNameSchema)
  .max(100)
  .refine((roles) => new Set(roles).size === roles.length, 'role names must be unique');

export const createRoleSchema = z.strictObject({
  name: roleNameSchema,
  description: z.string().trim().max(500).nullable().optional(),
});

export const updateRoleSchema = z.strictObject({
  description: z.string().trim().max(500).nullable().optional(),
});

export type CreateRoleInput = z.input<typeof createRoleSchema>;
export type UpdateRoleInput = z.input<typeof updateRoleSchema>;
