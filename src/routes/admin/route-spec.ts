// One admin API operation, described once: method, path, required scope, the zod schemas of its
// path parameters, query and body, its answer, and its handler. The router and the OpenAPI
// document are both built from these descriptions, so they cannot disagree.
import type { z } from 'zod';

import type { Actor } from '../../services/actor.js';
import type { AdminScope } from './admin-auth.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface AdminRequest<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
}

export interface AdminRoute {
  method: HttpMethod;
  /** OpenAPI-style path below /admin/v1, e.g. /clients/{client_id}. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  scope: AdminScope;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The service's input schema (camelCase); on the wire its top-level fields are snake_case. */
  body?: z.ZodType;
  /** Whether a body may be left out entirely (it is then {}). */
  bodyOptional?: boolean;
  status: 200 | 201 | 204;
  response?: z.ZodType;
  /** Error statuses this operation can answer with, besides 400, 401 and 403. */
  errors?: (404 | 409)[];
  handle(request: AdminRequest<never, never, never>): Promise<unknown>;
}

/** Declares a route with its handler typed by its own schemas. */
export function defineRoute<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  route: Omit<AdminRoute, 'params' | 'query' | 'body' | 'handle'> & {
    params?: P;
    query?: Q;
    body?: B;
    handle(
      request: AdminRequest<
        P extends z.ZodObject ? z.output<P> : Record<string, never>,
        Q extends z.ZodObject ? z.output<Q> : Record<string, never>,
        B extends z.ZodType ? z.input<B> : undefined
      >,
    ): Promise<unknown>;
  },
): AdminRoute {
  return route as unknown as AdminRoute;
}
