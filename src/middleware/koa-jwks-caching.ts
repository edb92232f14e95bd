// Lets verifiers cache the JWKS for a known time (the key-activation delay is built on it) and
// revalidate cheaply: Cache-Control max-age, a strong ETag of the exact bytes, 304 on a match.
import { createHash } from 'node:crypto';

import type { Context, Middleware } from 'koa';

import { onlyWhen } from './koa-mounted.js';

export default function jwksCaching({ path, maxAgeSeconds }: { path: string; maxAgeSeconds: number }): Middleware {
  // The JWKS changes only when keys do: its bytes and ETag are computed once per key set, not per
  // request. oidc-provider answers with a new { keys } around the same keys array until keys change.
  let last: { source: unknown; body: string; etag: string } | undefined;
  const serialise = (document: unknown): { body: string; etag: string } => {
    const source = (document as { keys?: unknown }).keys ?? document;
    if (last && last.source === source) return last;
    const body = typeof document === 'string' ? document : JSON.stringify(document);
    last = { source, body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
    return last;
  };
  const applies = (ctx: Context) => ctx.path === path && (ctx.method === 'GET' || ctx.method === 'HEAD');
  return onlyWhen(applies, async (ctx, next) => {
    await next();
    if (ctx.status !== 200 || ctx.body == null) return;
    const { body, etag } = serialise(ctx.body);
    const type = ctx.type;
    ctx.body = body;
    ctx.type = type;
    ctx.set('ETag', etag);
    ctx.set('Cache-Control', `public, max-age=${maxAgeSeconds}`);
    if (ifNoneMatchMatches(ctx.get('If-None-Match'), ctx.response.get('ETag'))) {
      ctx.status = 304;
      ctx.body = null;
    }
  });
}

/** RFC 9110 §13.1.2: a weak comparison, any listed tag or "*". */
function ifNoneMatchMatches(header: string, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
