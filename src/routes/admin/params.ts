// Path and query parameters shared by the admin routes.
import { z } from 'zod';

import { scopeNameSchema } from '../../schemas/api.js';
import { pageQueryShape, queryBooleanSchema } from '../../schemas/pagination.js';
import { roleNameSchema } from '../../schemas/role.js';

export const clientIdParam = z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, 'is not a client_id').meta({ description: 'The client_id.' });
export const apiParam = z.string().min(1).max(500).meta({ description: "The API's id, or its identifier (URL-encoded)." });
export const userParam = z.string().min(1).max(64).meta({ description: "The user's id or username." });
export const uuidParam = z.uuid();

export const clientPath = z.strictObject({ client_id: clientIdParam });
export const apiPath = z.strictObject({ api: apiParam });
export const apiScopePath = z.strictObject({ api: apiParam, scope: scopeNameSchema });
export const userPath = z.strictObject({ user: userParam });
export const userRolePath = z.strictObject({ user: userParam, role: roleNameSchema });
export const userGrantPath = z.strictObject({ user: userParam, grant_id: z.string().min(1).max(200) });
export const userSessionPath = z.strictObject({ user: userParam, uid: z.string().min(1).max(200) });
export const rolePath = z.strictObject({ role: roleNameSchema });
export const idPath = z.strictObject({ id: uuidParam });

const search = z.string().trim().min(1).max(200).optional().meta({ description: 'Case-insensitive substring to search for.' });

export const clientListQuery = z.strictObject({
  ...pageQueryShape,
  q: search,
  dynamic: queryBooleanSchema.optional(),
  is_admin: queryBooleanSchema.optional(),
  api: z.string().min(1).max(500).optional().meta({ description: 'Only clients that may request tokens for this API (identifier).' }),
});
export const apiListQuery = z.strictObject({ ...pageQueryShape, q: search, allow_dynamic_clients: queryBooleanSchema.optional() });
export const userListQuery = z.strictObject({
  ...pageQueryShape,
  q: search,
  disabled: queryBooleanSchema.optional(),
  role: roleNameSchema.optional().meta({ description: 'Only users with this role.' }),
});
export const roleListQuery = z.strictObject({ ...pageQueryShape, q: search });
export const registrationTokenListQuery = z.strictObject({ ...pageQueryShape, active: queryBooleanSchema.optional() });
