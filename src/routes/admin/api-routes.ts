// Admin API: APIs (resource servers) and their scopes.
import { presentApi } from '../../presenters/resources.js';
import { createApiSchema, putScopeSchema, updateApiSchema } from '../../schemas/api.js';
import { encodeCursor, pageRequestOf, pageResponseSchema } from '../../schemas/pagination.js';
import { apiResponseSchema } from '../../schemas/responses.js';
import { ADMIN_READ, ADMIN_WRITE } from '../../services/admin-api.js';
import { apiListQuery, apiPath, apiScopePath } from './params.js';
import { defineRoute, type AdminRoute } from './route-spec.js';
import type { AdminServices } from './services.js';

const tag = 'APIs';

export function apiRoutes({ apis }: AdminServices): AdminRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/apis', operationId: 'listApis', tag, scope: ADMIN_READ,
      summary: 'List APIs',
      query: apiListQuery,
      status: 200, response: pageResponseSchema(apiResponseSchema),
      async handle({ query }) {
        const page = await apis.listPage(pageRequestOf(query), { q: query.q, allowDynamicClients: query.allow_dynamic_clients });
        return { items: page.items.map(presentApi), next_cursor: encodeCursor(page.next) };
      },
    }),
    defineRoute({
      method: 'post', path: '/apis', operationId: 'createApi', tag, scope: ADMIN_WRITE,
      summary: 'Register an API',
      description: 'The identifier is the `aud` of its access tokens. Each scope may have a description (shown on the consent page) and be restricted to roles.',
      body: createApiSchema,
      status: 201, response: apiResponseSchema, errors: [409],
      async handle({ body, actor }) {
        return presentApi(await apis.create(body, { actor }));
      },
    }),
    defineRoute({
      method: 'get', path: '/apis/{api}', operationId: 'getApi', tag, scope: ADMIN_READ,
      summary: 'Show an API',
      params: apiPath,
      status: 200, response: apiResponseSchema, errors: [404],
      async handle({ params }) {
        return presentApi(await apis.show(params.api));
      },
    }),
    defineRoute({
      method: 'patch', path: '/apis/{api}', operationId: 'updateApi', tag, scope: ADMIN_WRITE,
      summary: 'Change an API',
      params: apiPath, body: updateApiSchema,
      status: 200, response: apiResponseSchema, errors: [404, 409],
      async handle({ params, body, actor }) {
        return presentApi(await apis.update(params.api, body, { actor }));
      },
    }),
    defineRoute({
      method: 'delete', path: '/apis/{api}', operationId: 'deleteApi', tag, scope: ADMIN_WRITE,
      summary: 'Delete an API',
      description: 'Clients lose access to it; its resource-server clients are deleted.',
      params: apiPath,
      status: 204, errors: [404, 409],
      async handle({ params, actor }) {
        await apis.delete(params.api, { actor });
      },
    }),
    defineRoute({
      method: 'put', path: '/apis/{api}/scopes/{scope}', operationId: 'putApiScope', tag, scope: ADMIN_WRITE,
      summary: 'Create or replace a scope of an API',
      description: 'Sets the description shown on the consent page and the roles the scope is restricted to (none: any user).',
      params: apiScopePath, body: putScopeSchema, bodyOptional: true,
      status: 200, response: apiResponseSchema, errors: [404, 409],
      async handle({ params, body, actor }) {
        return presentApi(await apis.putScope(params.api, params.scope, body, { actor }));
      },
    }),
    defineRoute({
      method: 'delete', path: '/apis/{api}/scopes/{scope}', operationId: 'deleteApiScope', tag, scope: ADMIN_WRITE,
      summary: 'Remove a scope from an API',
      params: apiScopePath,
      status: 200, response: apiResponseSchema, errors: [404, 409],
      async handle({ params, actor }) {
        return presentApi(await apis.deleteScope(params.api, params.scope, { actor }));
      },
    }),
  ];
}
