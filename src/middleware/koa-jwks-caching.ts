// Lets verifiers cache the JWKS for a known time (the key-activation delay is built on it) and
// revalidate cheaply: Cache-Control max-age, a strong ETag of the exact bytes, 304 on a match.
import { createHash } from 'node:crypto';

import type { Middleware } from 'koa';

export default function jwksCaching({ path, maxAgeSeconds }: { path: string; maxAgeSeconds: number }): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.status !== 200 || ctx.body == null) return;
    const body = typeof ctx.body === 'string' ? ctx.body : JSON.stringify(ctx.body);
    const type = ctx.type;
    ctx.body = body;
    ctx.type = type;
    ctx.set('ETag', `"${createHash('sha256').update(body).digest('base64url')}"`);
    ctx.set('Cache-Control', `public, max-age=${maxAgeSeconds}`);
    if (ifNoneMatchMatches(ctx.get('If-None-Match'), ctx.response.get('ETag'))) {
      ctx.status = 304;
      ctx.body = null;
    }
  };
}

/** RFC 9110 §13.1.2: a weak comparison, any listed tag or "*". */
function ifNoneMatchMatches(header: string, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
