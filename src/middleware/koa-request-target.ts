// Where a request is addressed, made unambiguous before anything reads it. RFC 9112 §3.2.2: a request
// target in absolute form (GET http://host/path) names the host itself, and the Host header is to be
// ignored; Koa takes the host from the header while oidc-provider builds its URLs from the target,
// so the two disagreed and the discovery cache could be fed a document whose endpoints pointed at
// another host while it believed the request was addressed to the issuer. The target is rewritten
// to origin form with the host it names. A host that is not a valid authority (`a b`, a port over
// 65535) is refused with 400 instead of failing where a URL is built from it.
import type { Middleware } from 'koa';

const ABSOLUTE_FORM = /^https?:\/\//i;

function refuse(ctx: Parameters<Middleware>[0], description: string): void {
  ctx.status = 400;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'invalid_request', error_description: description };
}

export default function requestTarget(): Middleware {
  // Almost every request names the same host: the one last found valid is not parsed again.
  let validHost = '';
  return (ctx, next) => {
    if (ABSOLUTE_FORM.test(ctx.url)) {
      const target = URL.parse(ctx.url);
      if (!target) return refuse(ctx, 'the request target is not a valid URL');
      ctx.req.headers.host = target.host;
      ctx.url = `${target.pathname}${target.search}`;
    }
    const host = ctx.host;
    if (host !== validHost) {
      if (!host || !URL.canParse(`${ctx.protocol}://${host}`)) return refuse(ctx, 'the Host header is not a valid host');
      validHost = host;
    }
    return next();
  };
}
