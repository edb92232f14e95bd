// The body parser of Gatehouse's own HTML forms (sign-in, consent, account). Fields with text
// Postgres cannot store are refused here as a 400, before any of them reaches a query as a 500.
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';

import { unstorable } from '../schemas/parse.js';

export function formBody(): Middleware {
  const parse = bodyParser({
    enableTypes: ['form'],
    formLimit: '16kb',
    // A body the parser refuses (too large, or a Content-Encoding that does not decode) is the
    // sender's fault: its own 4xx status, else 400, never the 500 of an error without a status.
    onError(error, ctx) {
      const status = (error as { status?: number }).status;
      ctx.throw(status !== undefined && status >= 400 && status < 500 ? status : 400, 'the form body could not be read', { expose: true });
    },
  });
  return (ctx, next) =>
    parse(ctx, async () => {
      const bad = unstorable(ctx.request.body);
      if (bad) ctx.throw(400, `form field ${bad.path.join('.') || '(body)'} ${bad.message}`, { expose: true });
      await next();
    });
}
