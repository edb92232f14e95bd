// GET /metrics in Prometheus' text format, optionally behind a bearer token (compared in constant time).
import { createHash, timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';
import type { Registry } from 'prom-client';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function createMetricsRouter({ registry, token }: { registry: Registry; token: string | undefined }): Router {
  const router = new Router();
  const expected = token ? digest(token) : undefined;
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (expected) {
      const presented = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1];
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
        ctx.body = { code: 'unauthorized', message: 'a valid bearer token is required', request_id: ctx.state.requestId as string | undefined };
        return;
      }
    }
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
