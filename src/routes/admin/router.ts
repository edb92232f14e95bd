// The admin API (/admin/v1) as a Koa router built from the route descriptions: bearer-token
// authorisation per operation, then path, query and body validated by their zod schemas (400 with
// field errors, nothing written), then the service call. Also serves the OpenAPI document and the
// reference page, which are public.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';

import { AppError, invalidInput } from '../../errors/app-error.js';
import { parseInput } from '../../schemas/parse.js';
import type { Actor } from '../../services/actor.js';
import type { AdminScope } from './admin-auth.js';
import { ADMIN_API_PREFIX } from './admin-routes.js';
import type { AdminRoute } from './route-spec.js';
import { bodyFromWire, errorToWire } from './wire.js';

export interface AdminRouterDependencies {
  routes: AdminRoute[];
  requireScope(scope: AdminScope): Middleware;
  openApiDocument(): Record<string, unknown>;
  renderDocs(ctx: Context): Promise<string>;
}

export const toKoaPath = (path: string) => path.replace(/\{([a-z_]+)\}/g, ':$1');

export function createAdminRouter(deps: AdminRouterDependencies): Router {
  const router = new Router();
  const parseJson = bodyParser({
    enableTypes: ['json'],
    jsonLimit: '256kb',
    encoding: 'utf-8',
    onError(error) {
      if ((error as { status?: number }).status === 413) throw new AppError('payload_too_large', 'the body is larger than 256 kB');
      throw invalidInput('the body is not valid JSON', [{ path: 'body', message: 'is not a valid JSON object' }]);
    },
  });

  router.get(`${ADMIN_API_PREFIX}/openapi.json`, (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = deps.openApiDocument();
  });
  router.get('/admin/docs', async (ctx) => {
    ctx.type = 'html';
    ctx.body = await deps.renderDocs(ctx);
  });

  for (const route of deps.routes) {
    router[route.method](`${ADMIN_API_PREFIX}${toKoaPath(route.path)}`, noStore, deps.requireScope(route.scope), parseJson, async (ctx) => {
      const params = route.params ? parseInput(route.params, { ...ctx.params }, 'params') : {};
      const query = route.query ? parseInput(route.query, { ...ctx.query }, 'query') : rejectQuery(ctx);
      const actor = ctx.state.adminActor as Actor;
      let result: unknown;
      try {
        const body = route.body ? parseInput(route.body, bodyOf(ctx, route)) : undefined;
        result = await route.handle({ params, query, body, actor } as never);
      } catch (error) {
        // Field errors from the body's schema and from the service use the service's names.
        throw errorToWire(error);
      }
      ctx.status = route.status;
      if (route.status !== 204) ctx.body = result;
    });
  }

  // Anything else below the prefix answers in the API's own error shape, not with an HTML page.
  router.all(`${ADMIN_API_PREFIX}/{*rest}`, (ctx) => {
    const allowed = deps.routes.filter((r) => matches(r.path, ctx.path.slice(ADMIN_API_PREFIX.length))).map((r) => r.method.toUpperCase());
    if (allowed.length) {
      ctx.set('Allow', allowed.join(', '));
      throw new AppError('method_not_allowed', `${ctx.method} is not allowed here; allowed: ${allowed.join(', ')}`);
    }
    throw new AppError('not_found', `no admin API operation at ${ctx.path}`);
  });
  return router;
}

const noStore: Middleware = async (ctx, next) => {
  // Answers can carry a secret shown once: no cache may keep them.
  ctx.set('Cache-Control', 'no-store');
  await next();
};

function rejectQuery(ctx: Context): Record<string, never> {
  const names = Object.keys(ctx.query);
  if (names.length) throw invalidInput('this operation takes no query parameters', names.map((name) => ({ path: `query.${name}`, message: 'is not a known parameter' })));
  return {};
}

/** The JSON body with wire names mapped; {} when an optional body is left out. */
function bodyOf(ctx: Context, route: AdminRoute): unknown {
  const raw = (ctx.request as { rawBody?: string }).rawBody;
  const sent = ctx.request.length ? ctx.request.length > 0 : Boolean(raw);
  if (!sent) {
    if (route.bodyOptional) return {};
    throw invalidInput('a JSON body is required', [{ path: 'body', message: 'a JSON object is required (Content-Type: application/json)' }]);
  }
  if (!ctx.request.is('application/json')) {
    throw invalidInput('the body must be JSON', [{ path: 'body', message: 'send a JSON object with Content-Type: application/json' }]);
  }
  return bodyFromWire(ctx.request.body);
}

function matches(template: string, path: string): boolean {
  const pattern = template.split('/').map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from our own route templates, with literal parts escaped
  return new RegExp(`^${pattern}$`).test(path);
}
