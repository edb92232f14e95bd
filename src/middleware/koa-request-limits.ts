// Bounds what reaches oidc-provider's endpoints: bodies over the limit get 413 (refused from
// Content-Length before reading, or as soon as the limit is passed), and parameters with malformed
// percent-encoding, invalid UTF-8, duplicates or overlong values get 400 invalid_request. The body
// read here is handed to oidc-provider as the parsed request body, so it is read once.
import type { Context, Middleware, Next } from 'koa';
import getRawBody from 'raw-body';

import { onlyWhen } from './koa-mounted.js';
import { unstorable } from '../schemas/parse.js';
import { BadParameters, parseParameters } from './oauth-request.js';

/** oidc-provider's endpoints (its default paths; Gatehouse does not change them). */
const OAUTH_PATH = /^\/(auth|token|me|request|device|reg|session\/end)(\/|$)/;
/**
 * RFC 6749 §4.1.2.1: a parameter given twice is invalid_request *redirected to the client* once its
 * client_id and redirect_uri are known good. oidc-provider's authorization endpoint refuses
 * duplicates itself and redirects that way (a repeated client_id or redirect_uri gets the error
 * page), so there they are left to it; malformed or overlong parameters are still refused here.
 */
const AUTHORIZATION_PATH = '/auth';
export const MAX_BODY_BYTES = 64 * 1024;

/** raw-body's error types (its errors carry `type`). */
const TOO_LARGE = 'entity.too.large';
const INCOMPLETE = new Set(['request.aborted', 'request.size.invalid']);

// raw-body reads with stream events; an async iterator costs about ten promises per request.
const readBody = (ctx: Context): Promise<Buffer> => getRawBody(ctx.req, { limit: MAX_BODY_BYTES, length: ctx.request.length });

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** An escape in JSON text may spell a lone surrogate (the UTF-8 text itself cannot hold one). */
function refuseUnstorableJson(text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return; // oidc-provider answers a body that is not JSON
  }
  const bad = unstorable(parsed);
  if (bad) throw new BadParameters(`the body ${bad.message}`);
}

export interface RequestLimitsOptions {
  /** The error page for a browser at the authorization endpoint. */
  renderPage(ctx: Context, status: number, code: string, message: string): Promise<void>;
}

export default function requestLimits({ renderPage }: RequestLimitsOptions): Middleware {
  const refuse = async (ctx: Context, status: number, code: string, description: string) => {
    ctx.set('Cache-Control', 'no-store');
    if (status === 413) ctx.set('Connection', 'close');
    if (ctx.method === 'GET' && /^\/auth(\/|$)/.test(ctx.path) && ctx.accepts('json', 'html') === 'html') {
      await renderPage(ctx, status, code, description);
      ctx.status = status;
      return;
    }
    ctx.status = status;
    ctx.body = { error: code, error_description: description };
  };

  const checked = async (ctx: Context, next: Next) => {
    try {
      const duplicates = ctx.path === AUTHORIZATION_PATH ? 'keep' : 'refuse';
      if (ctx.querystring) parseParameters(ctx.querystring, { duplicates });
      const hasBody = ctx.request.length !== undefined ? ctx.request.length > 0 : Boolean(ctx.get('transfer-encoding'));
      if (hasBody && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        if ((ctx.request.length ?? 0) > MAX_BODY_BYTES) return await refuse(ctx, 413, 'invalid_request', `the request body is larger than ${MAX_BODY_BYTES} bytes`);
        const form = ctx.request.is('application/x-www-form-urlencoded');
        const json = ctx.request.is('application/json');
        // Other content types are refused by oidc-provider without reading the body.
        if (form || json) {
          const text = utf8.decode(await readBody(ctx));
          if (form) ctx.state.oauthParams = parseParameters(text, { duplicates });
          // Postgres text and jsonb cannot hold NUL or a lone surrogate: refuse them here rather than fail later.
          else if (text.includes('\u0000') || text.includes('\\u0000')) throw new BadParameters('the body must not contain NUL characters');
          else if (text.includes('\\u')) refuseUnstorableJson(text);
          ctx.request.body = text;
        }
      }
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (type === TOO_LARGE) return refuse(ctx, 413, 'invalid_request', `the request body is larger than ${MAX_BODY_BYTES} bytes`);
      if (error instanceof BadParameters) return refuse(ctx, 400, 'invalid_request', error.message);
      if (error instanceof TypeError) return refuse(ctx, 400, 'invalid_request', 'the request body must be UTF-8');
      // The client went away in the middle of its body: nothing to answer, but no server error either.
      if ((typeof type === 'string' && INCOMPLETE.has(type)) || ctx.req.destroyed || (error as { code?: string }).code === 'ECONNRESET') return refuse(ctx, 400, 'invalid_request', 'the request body was incomplete');
      throw error;
    }
    await next();
  };

  return onlyWhen((ctx) => OAUTH_PATH.test(ctx.path), checked);
}
