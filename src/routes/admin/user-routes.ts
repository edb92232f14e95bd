// Admin API: users, their passwords, roles, grants and sessions.
import { z } from 'zod';

import { presentGrant, presentSession, presentUser } from '../../presenters/resources.js';
import { encodeCursor, pageRequestOf, pageResponseSchema } from '../../schemas/pagination.js';
import { grantResponseSchema, sessionResponseSchema, userResponseSchema } from '../../schemas/responses.js';
import { createUserSchema, setPasswordSchema, setRolesSchema, updateUserSchema } from '../../schemas/user.js';
import { ADMIN_READ, ADMIN_WRITE } from '../../services/admin-api.js';
import { userGrantPath, userListQuery, userPath, userRolePath, userSessionPath } from './params.js';
import { defineRoute, type AdminRoute } from './route-spec.js';
import type { AdminServices } from './services.js';

const tag = 'Users';

/** A user's grants and sessions are few: answered whole, without pages. */
const allOf = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item) });

export function userRoutes({ users, userAccess }: AdminServices): AdminRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/users', operationId: 'listUsers', tag, scope: ADMIN_READ,
      summary: 'List users',
      query: userListQuery,
      status: 200, response: pageResponseSchema(userResponseSchema),
      async handle({ query }) {
        const page = await users.listPage(pageRequestOf(query), { q: query.q, disabled: query.disabled, role: query.role });
        return { items: page.items.map(presentUser), next_cursor: encodeCursor(page.next) };
      },
    }),
    defineRoute({
      method: 'post', path: '/users', operationId: 'createUser', tag, scope: ADMIN_WRITE,
      summary: 'Create a user',
      body: createUserSchema,
      status: 201, response: userResponseSchema, errors: [409],
      async handle({ body, actor }) {
        const user = await users.create(body, { actor });
        return presentUser(await users.show(user.id));
      },
    }),
    defineRoute({
      method: 'get', path: '/users/{user}', operationId: 'getUser', tag, scope: ADMIN_READ,
      summary: 'Show a user',
      params: userPath,
      status: 200, response: userResponseSchema, errors: [404],
      async handle({ params }) {
        return presentUser(await users.show(params.user));
      },
    }),
    defineRoute({
      method: 'patch', path: '/users/{user}', operationId: 'updateUser', tag, scope: ADMIN_WRITE,
      summary: 'Change a user (or disable them)',
      description: 'Disabling a user ends their sessions and revokes their grants and tokens at once; they cannot sign in until enabled again.',
      params: userPath, body: updateUserSchema,
      status: 200, response: userResponseSchema, errors: [404, 409],
      async handle({ params, body, actor }) {
        return presentUser(await users.update(params.user, body, { actor }));
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{user}', operationId: 'deleteUser', tag, scope: ADMIN_WRITE,
      summary: 'Delete a user',
      description: 'Their sessions end and their grants and tokens are revoked first.',
      params: userPath,
      status: 204, errors: [404],
      async handle({ params, actor }) {
        await users.delete(params.user, { actor });
      },
    }),
    defineRoute({
      method: 'put', path: '/users/{user}/password', operationId: 'setUserPassword', tag, scope: ADMIN_WRITE,
      summary: "Set a user's password",
      params: userPath, body: setPasswordSchema,
      status: 204, errors: [404],
      async handle({ params, body, actor }) {
        await users.setPassword(params.user, body.password, { actor });
      },
    }),
    defineRoute({
      method: 'put', path: '/users/{user}/roles', operationId: 'setUserRoles', tag, scope: ADMIN_WRITE,
      summary: "Replace a user's roles",
      params: userPath, body: setRolesSchema,
      status: 200, response: userResponseSchema, errors: [404],
      async handle({ params, body, actor }) {
        return presentUser(await users.setRoles(params.user, body.roles, { actor }));
      },
    }),
    defineRoute({
      method: 'put', path: '/users/{user}/roles/{role}', operationId: 'addUserRole', tag, scope: ADMIN_WRITE,
      summary: 'Give a user a role',
      params: userRolePath,
      status: 200, response: userResponseSchema, errors: [404],
      async handle({ params, actor }) {
        return presentUser(await users.addRole(params.user, params.role, { actor }));
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{user}/roles/{role}', operationId: 'removeUserRole', tag, scope: ADMIN_WRITE,
      summary: 'Take a role away from a user',
      params: userRolePath,
      status: 200, response: userResponseSchema, errors: [404],
      async handle({ params, actor }) {
        return presentUser(await users.removeRole(params.user, params.role, { actor }));
      },
    }),
    defineRoute({
      method: 'get', path: '/users/{user}/grants', operationId: 'listUserGrants', tag, scope: ADMIN_READ,
      summary: "List a user's grants (what they allowed each client)",
      params: userPath,
      status: 200, response: allOf(grantResponseSchema), errors: [404],
      async handle({ params }) {
        const user = await users.show(params.user);
        return { items: (await userAccess.listGrants(user.id)).map(presentGrant) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{user}/grants/{grant_id}', operationId: 'revokeUserGrant', tag, scope: ADMIN_WRITE,
      summary: 'Revoke a grant',
      description: 'Its refresh tokens stop working and its access tokens introspect as inactive; the remembered consent for that client is forgotten.',
      params: userGrantPath,
      status: 204, errors: [404],
      async handle({ params, actor }) {
        const user = await users.show(params.user);
        await userAccess.revokeGrant(user.id, params.grant_id, { actor });
      },
    }),
    defineRoute({
      method: 'get', path: '/users/{user}/sessions', operationId: 'listUserSessions', tag, scope: ADMIN_READ,
      summary: "List a user's sign-in sessions",
      params: userPath,
      status: 200, response: allOf(sessionResponseSchema), errors: [404],
      async handle({ params }) {
        const user = await users.show(params.user);
        return { items: (await userAccess.listSessions(user.id)).map(presentSession) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{user}/sessions/{uid}', operationId: 'endUserSession', tag, scope: ADMIN_WRITE,
      summary: 'End one sign-in session (and the grants made in it)',
      params: userSessionPath,
      status: 204, errors: [404],
      async handle({ params, actor }) {
        const user = await users.show(params.user);
        await userAccess.endSession(user.id, params.uid, { actor });
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{user}/sessions', operationId: 'endAllUserSessions', tag, scope: ADMIN_WRITE,
      summary: 'Sign a user out everywhere',
      description: 'Ends every session and revokes every grant of the user.',
      params: userPath,
      status: 204, errors: [404],
      async handle({ params, actor }) {
        const user = await users.show(params.user);
        await userAccess.endEverything(user.id, { actor });
      },
    }),
  ];
}
