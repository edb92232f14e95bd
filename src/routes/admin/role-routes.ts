// Admin API: roles, registration (initial access) tokens and signing keys.
import { z } from 'zod';

import { presentRegistrationToken, presentRole, presentSigningKey } from '../../presenters/resources.js';
import { encodeCursor, pageRequestOf, pageResponseSchema } from '../../schemas/pagination.js';
import { createRegistrationTokenSchema } from '../../schemas/registration-token.js';
import { registrationTokenResponseSchema, roleResponseSchema, signingKeyResponseSchema } from '../../schemas/responses.js';
import { createRoleSchema, updateRoleSchema } from '../../schemas/role.js';
import { ADMIN_READ, ADMIN_WRITE } from '../../services/admin-api.js';
import { idPath, registrationTokenListQuery, roleListQuery, rolePath } from './params.js';
import { defineRoute, type AdminRoute } from './route-spec.js';
import type { AdminServices } from './services.js';

export function roleRoutes({ roles }: AdminServices): AdminRoute[] {
  const tag = 'Roles';
  return [
    defineRoute({
      method: 'get', path: '/roles', operationId: 'listRoles', tag, scope: ADMIN_READ,
      summary: 'List roles',
      query: roleListQuery,
      status: 200, response: pageResponseSchema(roleResponseSchema),
      async handle({ query }) {
        const page = await roles.listPage(pageRequestOf(query), { q: query.q });
        return { items: page.items.map(presentRole), next_cursor: encodeCursor(page.next) };
      },
    }),
    defineRoute({
      method: 'post', path: '/roles', operationId: 'createRole', tag, scope: ADMIN_WRITE,
      summary: 'Create a role',
      body: createRoleSchema,
      status: 201, response: roleResponseSchema, errors: [409],
      async handle({ body, actor }) {
        return presentRole(await roles.create(body, { actor }));
      },
    }),
    defineRoute({
      method: 'get', path: '/roles/{role}', operationId: 'getRole', tag, scope: ADMIN_READ,
      summary: 'Show a role',
      params: rolePath,
      status: 200, response: roleResponseSchema, errors: [404],
      async handle({ params }) {
        return presentRole(await roles.show(params.role));
      },
    }),
    defineRoute({
      method: 'patch', path: '/roles/{role}', operationId: 'updateRole', tag, scope: ADMIN_WRITE,
      summary: 'Change a role',
      params: rolePath, body: updateRoleSchema,
      status: 200, response: roleResponseSchema, errors: [404],
      async handle({ params, body, actor }) {
        return presentRole(await roles.update(params.role, body, { actor }));
      },
    }),
    defineRoute({
      method: 'delete', path: '/roles/{role}', operationId: 'deleteRole', tag, scope: ADMIN_WRITE,
      summary: 'Delete a role',
      description: 'Refused (409) while the role restricts a scope: deleting it must not open that scope to everyone.',
      params: rolePath,
      status: 204, errors: [404, 409],
      async handle({ params, actor }) {
        await roles.delete(params.role, { actor });
      },
    }),
  ];
}

export function registrationTokenRoutes({ registrationTokens }: AdminServices): AdminRoute[] {
  const tag = 'Registration tokens';
  return [
    defineRoute({
      method: 'get', path: '/registration-tokens', operationId: 'listRegistrationTokens', tag, scope: ADMIN_READ,
      summary: 'List initial access tokens for dynamic client registration (never their values)',
      query: registrationTokenListQuery,
      status: 200, response: pageResponseSchema(registrationTokenResponseSchema),
      async handle({ query }) {
        const page = await registrationTokens.listPage(pageRequestOf(query), { active: query.active });
        return { items: page.items.map((t) => presentRegistrationToken(t)), next_cursor: encodeCursor(page.next) };
      },
    }),
    defineRoute({
      method: 'post', path: '/registration-tokens', operationId: 'createRegistrationToken', tag, scope: ADMIN_WRITE,
      summary: 'Issue an initial access token',
      description: 'The answer carries the token once. Clients present it as a bearer token to the registration endpoint.',
      body: createRegistrationTokenSchema, bodyOptional: true,
      status: 201, response: registrationTokenResponseSchema,
      async handle({ body, actor }) {
        const { token, record } = await registrationTokens.create(body, { actor });
        return presentRegistrationToken(record, token);
      },
    }),
    defineRoute({
      method: 'get', path: '/registration-tokens/{id}', operationId: 'getRegistrationToken', tag, scope: ADMIN_READ,
      summary: 'Show an initial access token (never its value)',
      params: idPath,
      status: 200, response: registrationTokenResponseSchema, errors: [404],
      async handle({ params }) {
        return presentRegistrationToken(await registrationTokens.show(params.id));
      },
    }),
    defineRoute({
      method: 'delete', path: '/registration-tokens/{id}', operationId: 'revokeRegistrationToken', tag, scope: ADMIN_WRITE,
      summary: 'Revoke an initial access token',
      params: idPath,
      status: 204, errors: [404],
      async handle({ params, actor }) {
        await registrationTokens.revoke(params.id, { actor });
      },
    }),
  ];
}

export function signingKeyRoutes({ listSigningKeys }: AdminServices): AdminRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/signing-keys', operationId: 'listSigningKeys', tag: 'Signing keys', scope: ADMIN_READ,
      summary: 'List signing keys (public halves)',
      status: 200, response: z.strictObject({ items: z.array(signingKeyResponseSchema) }),
      async handle() {
        return { items: (await listSigningKeys()).map(presentSigningKey) };
      },
    }),
  ];
}
