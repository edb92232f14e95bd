// An error answered by Gatehouse itself at the token endpoint, before oidc-provider: the RFC 6749
// §5.2 shape with the §5.1 cache headers, and named as the token route for metrics, the access log
// and the CORS policy.
import type { Context } from 'koa';

export function answerTokenError(ctx: Context, error: string, description: string): void {
  ctx.state.route = 'token';
  ctx.status = 400;
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  ctx.body = { error, error_description: description };
}
