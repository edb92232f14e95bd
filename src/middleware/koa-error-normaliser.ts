// The one error handler for Gatehouse's own routes: AppErrors as {code, message, request_id} (or
// the error page, for a browser), anything unexpected as a 500 that reveals nothing — no message,
// stack or SQL. A path nothing answered becomes a 404 in the same shape. (oidc-provider renders its
// own OAuth errors in the RFC shape.)
import type { Context, Middleware } from 'koa';

import { AppError } from '../errors/app-error.js';
import type { Logger } from '../services/logger.js';

export interface ErrorNormaliserOptions {
  logger: Logger;
  /** Renders the error page for a browser. */
  renderPage?(ctx: Context, status: number, code: string, message: string): Promise<void>;
}

const isApiPath = (path: string) => path.startsWith('/admin/v1') || path === '/healthz' || path === '/readyz' || path === '/metrics';

export default function errorNormaliser({ logger, renderPage }: ErrorNormaliserOptions): Middleware {
  const answer = async (ctx: Context, status: number, code: string, message: string, extra: Record<string, unknown> = {}) => {
    if (renderPage && !isApiPath(ctx.path) && ctx.accepts('json', 'html') === 'html') {
      await renderPage(ctx, status, code, message);
      ctx.status = status;
      return;
    }
    ctx.status = status;
    ctx.body = { code, message, request_id: ctx.state.requestId as string | undefined, ...extra };
  };

  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) await answer(ctx, 404, 'not_found', 'nothing here');
    } catch (error) {
      if (error instanceof AppError) {
        return answer(ctx, error.status, error.code, error.message, error.details ?? {});
      }
      const status = (error as { status?: number; expose?: boolean }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        // Koa/http-errors client errors (bad JSON, body too large, ...); their messages are generic.
        return answer(ctx, status, status === 413 ? 'payload_too_large' : 'invalid_input', (error as { expose?: boolean }).expose ? (error as Error).message : 'invalid request');
      }
      logger.error({ err: error, request_id: ctx.state.requestId as string | undefined }, 'unhandled error');
      return answer(ctx, 500, 'internal_error', 'internal server error');
    }
  };
}
