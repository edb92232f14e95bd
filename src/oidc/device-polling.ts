// RFC 8628 §3.4 and §3.5: the device authorization response names the polling interval (5 s, the
// default clients must otherwise assume), and a device that polls the token endpoint faster than
// that is told slow_down, without the request reaching oidc-provider (which never says slow_down).
// Counted per device code, under its hash, in the shared rate-limit store.
import { createHash } from 'node:crypto';

import type { Context, Middleware } from 'koa';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

import { onlyWhen } from '../middleware/koa-mounted.js';
import { answerTokenError } from '../middleware/token-endpoint-answer.js';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
export const POLLING_INTERVAL_SECONDS = 5;
/** A poll is "too fast" only when clearly so: network jitter must not cost a well-behaved device 5 s. */
export const POLLING_WINDOW_SECONDS = POLLING_INTERVAL_SECONDS - 1;

function deviceCodeOf(ctx: Context): string | undefined {
  if (ctx.method !== 'POST' || ctx.path !== '/token') return undefined;
  const params = ctx.state.oauthParams as Map<string, string[]> | undefined;
  if (params?.get('grant_type')?.[0] !== DEVICE_CODE_GRANT_TYPE) return undefined;
  return params.get('device_code')?.[0] || undefined;
}

/** slow_down for a second poll with the same device code within the polling window. */
export function limitDevicePolling({ limiter }: { limiter: RateLimiterAbstract }): Middleware {
  return onlyWhen(
    (ctx) => deviceCodeOf(ctx) !== undefined,
    async (ctx, next) => {
      const key = createHash('sha256').update(deviceCodeOf(ctx)!).digest('base64url');
      const allowed = await limiter.consume(key).then(
        () => true,
        (rejection: unknown) => {
          if (rejection instanceof Error) throw rejection;
          return false;
        },
      );
      if (allowed) return next();
      answerTokenError(ctx, 'slow_down', `poll at most every ${POLLING_INTERVAL_SECONDS} seconds, and ${POLLING_INTERVAL_SECONDS} seconds more after each slow_down`);
    },
  );
}

/** The device authorization response names the interval its device is held to. */
export function advertisePollingInterval({ path }: { path: string }): Middleware {
  return onlyWhen(
    (ctx) => ctx.method === 'POST' && ctx.path === path,
    async (ctx, next) => {
      await next();
      const body = ctx.body as Record<string, unknown> | undefined;
      if (ctx.status === 200 && body && typeof body === 'object' && typeof body.device_code === 'string' && body.interval === undefined) {
        ctx.body = { ...body, interval: POLLING_INTERVAL_SECONDS };
      }
    },
  );
}
