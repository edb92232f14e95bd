// When dynamic registration requires an initial access token (RFC 7591 §3), checks it in front of
// the registration endpoint: a bearer token issued by `gatehouse registration-tokens create`, valid,
// unexpired, unrevoked, with a use left. The use is taken atomically before the registration and
// given back if the registration fails, so a token for N uses registers at most N clients.
import type { Context, Middleware } from 'koa';

import type { AuditLog } from '../services/audit-log.js';
import { requestFacts } from '../routes/request-facts.js';

export interface InitialAccessTokens {
  take(token: string): Promise<string | undefined>;
  giveBack(id: string): Promise<void>;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

export default function initialAccessToken({ path, issuer, tokens, audit }: { path: string; issuer: string; tokens: InitialAccessTokens; audit: AuditLog }): Middleware {
  const refuse = (ctx: Context, reason: string, description: string, withError: boolean) => {
    audit.record({ type: 'registration.refused', outcome: 'failure', ...requestFacts(ctx), details: { reason } });
    ctx.status = 401;
    ctx.set('Cache-Control', 'no-store');
    // RFC 6750 §3.1: no error code in the challenge when no token was presented at all.
    ctx.set('WWW-Authenticate', `Bearer realm="${issuer}"${withError ? `, error="invalid_token", error_description="${description}"` : ''}`);
    ctx.body = { error: 'invalid_token', error_description: description };
  };
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== path) return next();
    const match = BEARER.exec(ctx.get('authorization'));
    if (!match) return refuse(ctx, 'missing_token', 'an initial access token is required to register a client', false);
    const id = await tokens.take(match[1]!);
    if (!id) return refuse(ctx, 'invalid_token', 'the initial access token is invalid, expired, revoked or used up', true);
    let registered = false;
    try {
      await next();
      registered = ctx.status === 201;
    } finally {
      if (!registered) await tokens.giveBack(id);
    }
    if (registered) audit.record({ type: 'registration.token_used', outcome: 'success', ...requestFacts(ctx), details: { registration_token_id: id } });
  };
}
