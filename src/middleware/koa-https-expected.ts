// With an https issuer, a request arriving over plain http (other than a health probe) means a
// TLS-terminating proxy whose X-Forwarded-Proto is not trusted: oidc-provider then cannot set its
// secure cookies and sign-in fails. Say so in the log, once, rather than leave only a 500 to puzzle over.
import type { Middleware } from 'koa';

import type { Logger } from '../services/logger.js';

const PROBES = new Set(['/healthz', '/readyz']);

export default function httpsExpected(logger: Logger): Middleware {
  let warned = false;
  return async (ctx, next) => {
    if (!warned && !ctx.secure && !PROBES.has(ctx.path)) {
      warned = true;
      logger.warn(
        { path: ctx.path },
        'a request arrived over plain http but ISSUER is https: behind a TLS-terminating proxy set TRUST_PROXY=true (X-Forwarded-Proto), or serve TLS directly with TLS_CERT_FILE and TLS_KEY_FILE',
      );
    }
    await next();
  };
}
