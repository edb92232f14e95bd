// Security headers on every response, and a strict nonce-based CSP on HTML pages.
import { randomBytes } from 'node:crypto';

import type { Middleware } from 'koa';

export default function securityHeaders({ hsts }: { hsts: boolean }): Middleware {
  return async (ctx, next) => {
    ctx.state.nonce = randomBytes(16).toString('base64');
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
      if (hsts) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
      if (ctx.response.is('html')) {
        ctx.set('X-Frame-Options', 'DENY');
        ctx.set(
          'Content-Security-Policy',
          [
            "default-src 'none'",
            `style-src 'self' 'nonce-${String(ctx.state.nonce)}'`,
            "img-src 'self' https: data:",
            // form_post responses carry a small inline script bearing this nonce.
            `script-src 'nonce-${String(ctx.state.nonce)}'`,
            "frame-ancestors 'none'",
            "base-uri 'none'",
          ].join('; '),
        );
        ctx.set('Cache-Control', 'no-store');
      }
    }
  };
}
