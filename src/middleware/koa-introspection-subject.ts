// RFC 7662 §2.2 and RFC 9068 §2.2: a client-credentials access token's subject is the client, and its
// JWT says so (sub = client_id); oidc-provider's introspection answer leaves sub out for a token with
// no user. The answer names the same subject as the token, so an API reads one field either way.
import type { Middleware } from 'koa';

import { onlyWhen } from './koa-mounted.js';

export default function introspectionSubject({ path }: { path: string }): Middleware {
  return onlyWhen(
    (ctx) => ctx.method === 'POST' && ctx.path === path,
    async (ctx, next) => {
      await next();
      const body = ctx.body as Record<string, unknown> | undefined;
      if (ctx.status !== 200 || !body || typeof body !== 'object' || body.active !== true) return;
      if (body.sub === undefined && typeof body.client_id === 'string') ctx.body = { ...body, sub: body.client_id };
    },
  );
}
