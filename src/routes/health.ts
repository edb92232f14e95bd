// Liveness (/healthz: the process answers) and readiness (/readyz: database reachable, schema
// current, keys loaded, not shutting down).
import Router from '@koa/router';

export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

export function createHealthRouter({
  checks,
  isShuttingDown,
  timeoutMs = 2000,
}: {
  checks: ReadinessCheck[];
  isShuttingDown: () => boolean;
  /** A check that has not answered by then counts as failed: a probe must never hang on a dead database. */
  timeoutMs?: number;
}): Router {
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
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        });
        results[name] = await Promise.race([check().catch(() => false), timedOut]);
        clearTimeout(timer);
      }),
    );
    const ready = !isShuttingDown() && Object.values(results).every(Boolean);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', shutting_down: isShuttingDown(), checks: results };
  });
  return router;
}
