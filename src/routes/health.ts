// Liveness (/healthz: the process answers) and readiness (/readyz: database reachable, schema
// current, keys loaded, not shutting down).
import Router from '@koa/router';

export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

export function createHealthRouter({ checks, isShuttingDown }: { checks: ReadinessCheck[]; isShuttingDown: () => boolean }): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const results: Record<string, boolean> = {};
    await Promise.all(
      checks.map(async ({ name, check }) => {
        results[name] = await check().catch(() => false);
      }),
    );
    const ready = !isShuttingDown() && Object.values(results).every(Boolean);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', shutting_down: isShuttingDown(), checks: results };
  });
  return router;
}
