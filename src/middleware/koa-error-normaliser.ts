// The one error handler for Gatehouse's own routes: AppErrors as {code, message, request_id},
// anything unexpected as a 500 that reveals nothing. (oidc-provider renders its own OAuth errors.)
import type { Middleware } from 'koa';

import { AppError } from '../errors/app-error.js';
import type { Logger } from '../services/logger.js';

export default function errorNormaliser(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const requestId = ctx.state.requestId as string | undefined;
      if (error instanceof AppError) {
        ctx.status = error.status;
        ctx.body = { code: error.code, message: error.message, request_id: requestId, ...(error.details ?? {}) };
        return;
      }
      const status = (error as { status?: number; expose?: boolean }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        // Koa/http-errors client errors (bad JSON, body too large, ...).
        ctx.status = status;
        ctx.body = { code: status === 413 ? 'payload_too_large' : 'invalid_input', message: (error as Error).message, request_id: requestId };
        return;
      }
      logger.error({ err: error, request_id: requestId }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { code: 'internal_error', message: 'internal server error', request_id: requestId };
    }
  };
}
