// One structured log line per request: method, route, status, duration, request id, client id.
import type { Middleware } from 'koa';

import type { Logger } from '../services/logger.js';

// Interaction ids travel in paths (/interaction/:uid, /auth/:uid to resume) and are cookie values.
const INTERACTION_PATH = /^\/(interaction|auth)\/[^/]+/;

export default function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const oidc = (ctx as { oidc?: { route?: string; client?: { clientId: string } } }).oidc;
      logger.info(
        {
          request_id: ctx.state.requestId,
          method: ctx.method,
          // The path without its query (queries can carry codes and tokens) or interaction id.
          path: ctx.path.replace(INTERACTION_PATH, '/$1/:uid'),
          route: oidc?.route,
          status: ctx.status,
          duration_ms: Math.round(durationMs * 100) / 100,
          client_id: oidc?.client?.clientId,
        },
        'request',
      );
    }
  };
}
