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

/**
 * Paths where oidc-provider writes pages of its own with an inline script (form_post responses, also
 * used for the logout it chains into a sign-in): it adds the script's hash to a policy that is already
 * on the response, so there the policy goes on before the request is handled.
 */
const PROVIDER_PAGES = /^\/(auth|session\/end|device)(\/|$)/;

const contentSecurityPolicy = (nonce: string) =>
  [
    "default-src 'none'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' https: data:",
    // Gatehouse's pages carry this nonce on their scripts; oidc-provider adds the hash of its own.
    `script-src 'nonce-${nonce}'`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

export default function securityHeaders({ hsts }: { hsts: boolean }): Middleware {
  return async (ctx, next) => {
    ctx.state = Object.assign(new RequestState(), ctx.state);
    const early = PROVIDER_PAGES.test(ctx.path);
    if (early) ctx.set('Content-Security-Policy', contentSecurityPolicy(String(ctx.state.nonce)));
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
      if (hsts) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
      if (HTML.test(ctx.response.get('Content-Type'))) {
        ctx.set('X-Frame-Options', 'DENY');
        // Set early, the policy may now also hold the hash oidc-provider added: keep it as it is.
        if (!early || !ctx.response.get('Content-Security-Policy')) ctx.set('Content-Security-Policy', contentSecurityPolicy(String(ctx.state.nonce)));
        ctx.set('Cache-Control', 'no-store');
      } else if (early) {
        ctx.remove('Content-Security-Policy');
      }
    }
  };
}
