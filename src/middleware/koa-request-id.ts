// Gives every request an id: the one a trusted proxy sent (if well-formed), or a new one.
import { randomUUID } from 'node:crypto';

import type { Middleware } from 'koa';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export default function requestId({ trustProxy }: { trustProxy: boolean }): Middleware {
  return (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = trustProxy && SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    return next();
  };
}
