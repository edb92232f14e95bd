// The body parser of Gatehouse's own HTML forms (sign-in, consent, account). Fields with text
// Postgres cannot store are refused here as a 400, before any of them reaches a query as a 500.
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';

import { unstorable } from '../schemas/parse.js';

export function formBody(): Middleware {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  return (ctx, next) =>
    parse(ctx, async () => {
      const bad = unstorable(ctx.request.body);
      if (bad) ctx.throw(400, `form field ${bad.path.join('.') || '(body)'} ${bad.message}`, { expose: true });
      await next();
    });
}
