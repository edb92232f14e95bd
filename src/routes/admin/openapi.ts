// The OpenAPI 3.1 document of the admin API, generated from the route descriptions and their zod
// schemas (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
import { z } from 'zod';

import { errorResponseSchema } from '../../schemas/responses.js';
import { ADMIN_READ, ADMIN_WRITE } from '../../services/admin-api.js';
import { ADMIN_API_PREFIX } from './admin-routes.js';
import type { AdminRoute } from './route-spec.js';
import { jsonSchemaToWire } from './wire.js';

type Json = Record<string, unknown>;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: `fields` lists each offending field; nothing was written.',
  401: 'No valid bearer token for the admin API (see the WWW-Authenticate header: invalid_token when one was presented).',
  403: 'The token lacks the scope this operation needs (insufficient_scope).',
  404: 'Not found.',
  409: 'Conflicts with the current state (for example: already exists, or still in use).',
  413: 'The body is larger than 256 kB.',
  503: 'The database is unavailable for the moment (see the Retry-After header); nothing was written.',
};

export function buildOpenApiDocument({ routes, issuer, version }: { routes: AdminRoute[]; issuer: string; version: string }): Json {
  const components: Record<string, Json> = {};
  const toJson = (schema: z.ZodType, io: 'input' | 'output'): Json => hoist(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json, components);
  const errorRef = toJson(errorResponseSchema, 'output');

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const parameters = [
      ...parametersOf(route.params, 'path', toJson),
      ...parametersOf(route.query, 'query', toJson),
    ];
    const responses: Record<string, Json> = {
      [String(route.status)]: route.response
        ? { description: 'OK', content: { 'application/json': { schema: toJson(route.response, 'output') } } }
        : { description: 'Done (no content).' },
    };
    // Every answer the route can give is declared, so a generated client has a type for each.
    for (const status of [400, 401, 403, ...(route.body ? [413] : []), ...(route.errors ?? []), 503]) {
      responses[String(status)] = {
        description: ERROR_DESCRIPTIONS[status],
        content: { 'application/json': { schema: errorRef } },
        ...(status === 401 || status === 403 ? { headers: { 'WWW-Authenticate': { description: 'The RFC 6750 Bearer challenge.', schema: { type: 'string' } } } } : {}),
        ...(status === 503 ? { headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } } } : {}),
      };
    }
    responses.default = { description: 'An unexpected error (500): the request id is in the body and the server log.', content: { 'application/json': { schema: errorRef } } };
    const operation: Json = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      security: [{ adminToken: [route.scope] }],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: jsonSchemaToWire(toJson(route.body, 'input')) } } } }
        : {}),
      responses,
    };
    (paths[route.path] ??= {})[route.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse Admin API',
      version,
      description: [
        'Manage clients, APIs, users, roles, grants, sessions and registration tokens of this Gatehouse.',
        `Authenticate with a bearer access token for the API \`${issuer}/admin\`, obtained by an admin client (\`gatehouse clients create --admin\`) through client_credentials at \`${issuer}/token\`.`,
        `\`${ADMIN_READ}\` allows the reading operations, \`${ADMIN_WRITE}\` all of them. Lists are paginated with \`limit\` and the opaque \`cursor\` from \`next_cursor\`; request and response fields are snake_case; unknown fields are refused.`,
      ].join('\n\n'),
    },
    servers: [{ url: `${issuer}${ADMIN_API_PREFIX}` }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        adminToken: {
          type: 'oauth2',
          description: 'A JWT access token for the admin API, from client_credentials with an admin client.',
          flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { [ADMIN_READ]: 'Read everything', [ADMIN_WRITE]: 'Read and change everything' } } },
        },
      },
    },
  };
}

function parametersOf(schema: z.ZodObject | undefined, where: 'path' | 'query', toJson: (s: z.ZodType, io: 'input' | 'output') => Json): Json[] {
  if (!schema) return [];
  const json = toJson(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** Moves named schemas ($defs, from `.meta({ id })`) into components and points the references there. */
function hoist(schema: Json, components: Record<string, Json>): Json {
  const { $schema: _dialect, $defs, ...rest } = schema;
  for (const [name, definition] of Object.entries(($defs ?? {}) as Record<string, Json>)) {
    components[name] ??= rewriteRefs(definition) as Json;
  }
  return rewriteRefs(rest) as Json;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      key === '$ref' && typeof child === 'string' ? child.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(child),
    ]),
  );
}
