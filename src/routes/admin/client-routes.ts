// Admin API: clients, including admin clients and secret rotation.
import { presentClient } from '../../presenters/resources.js';
import { createClientSchema, rotateSecretSchema, updateClientSchema } from '../../schemas/client.js';
import { encodeCursor, pageRequestOf, pageResponseSchema } from '../../schemas/pagination.js';
import { clientResponseSchema } from '../../schemas/responses.js';
import { ADMIN_READ, ADMIN_WRITE } from '../../services/admin-api.js';
import { clientListQuery, clientPath } from './params.js';
import { defineRoute, type AdminRoute } from './route-spec.js';
import type { AdminServices } from './services.js';

const tag = 'Clients';

export function clientRoutes({ clients }: AdminServices): AdminRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/clients', operationId: 'listClients', tag, scope: ADMIN_READ,
      summary: 'List clients',
      query: clientListQuery,
      status: 200, response: pageResponseSchema(clientResponseSchema),
      async handle({ query }) {
        const page = await clients.listPage(pageRequestOf(query), { q: query.q, dynamic: query.dynamic, isAdmin: query.is_admin, api: query.api });
        return { items: page.items.map((c) => presentClient(c)), next_cursor: encodeCursor(page.next) };
      },
    }),
    defineRoute({
      method: 'post', path: '/clients', operationId: 'createClient', tag, scope: ADMIN_WRITE,
      summary: 'Register a client',
      description: 'The answer carries the client_secret (for confidential clients): it is shown this once and never again. `is_admin: true` makes an admin client for this API.',
      body: createClientSchema,
      status: 201, response: clientResponseSchema,
      async handle({ body, actor }) {
        const { client, clientSecret } = await clients.create(body, { actor });
        return presentClient(client, clientSecret);
      },
    }),
    defineRoute({
      method: 'get', path: '/clients/{client_id}', operationId: 'getClient', tag, scope: ADMIN_READ,
      summary: 'Show a client (never its secret)',
      params: clientPath,
      status: 200, response: clientResponseSchema, errors: [404],
      async handle({ params }) {
        return presentClient(await clients.show(params.client_id));
      },
    }),
    defineRoute({
      method: 'patch', path: '/clients/{client_id}', operationId: 'updateClient', tag, scope: ADMIN_WRITE,
      summary: 'Change a client',
      description: 'Fields left out stay as they are; null removes an optional link. New `apis` or `grant_types` without a `scope` reset the scope to the default for them.',
      params: clientPath, body: updateClientSchema,
      status: 200, response: clientResponseSchema, errors: [404],
      async handle({ params, body, actor }) {
        return presentClient(await clients.update(params.client_id, body, { actor }));
      },
    }),
    defineRoute({
      method: 'delete', path: '/clients/{client_id}', operationId: 'deleteClient', tag, scope: ADMIN_WRITE,
      summary: 'Delete a client',
      params: clientPath,
      status: 204, errors: [404],
      async handle({ params, actor }) {
        await clients.delete(params.client_id, { actor });
      },
    }),
    defineRoute({
      method: 'post', path: '/clients/{client_id}/rotate-secret', operationId: 'rotateClientSecret', tag, scope: ADMIN_WRITE,
      summary: 'Issue a new client secret',
      description: 'Returns the new client_secret once. With `overlap_seconds` the current secret keeps working that long beside the new one; otherwise it stops at once.',
      params: clientPath, body: rotateSecretSchema, bodyOptional: true,
      status: 200, response: clientResponseSchema, errors: [404, 409],
      async handle({ params, body, actor }) {
        const { client, clientSecret } = await clients.rotateSecret(params.client_id, body, { actor });
        return presentClient(client, clientSecret);
      },
    }),
  ];
}
