// Security headers on every response, and a strict nonce-based CSP on HTML pages.
import { randomBytes } from 'node:crypto';

import type { Middleware } from 'koa';

const HTML = /^\s*text\/html\b/i;

/** A request's state with its CSP nonce made on first use: only pages need one, and most requests (tokens, JWKS) are not pages. */
class RequestState {
  #nonce: string | undefined;
  get nonce(): string {
    return (this.#nonce ??= randomBytes(16).toString('base64'));
  }
}

export default function securityHeaders({ hsts }: { hsts: boolean }): Middleware {
  return async (ctx, next) => {
    ctx.state = Object.assign(new RequestState(), ctx.state);
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
      if (hsts) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
      if (HTML.test(ctx.response.get('Content-Type'))) {
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
