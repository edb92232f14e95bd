// Who may call the admin API: the bearer of a Gatehouse JWT access token (RFC 9068) for the admin
// API, issued to an admin client through client_credentials, verified locally against Gatehouse's
// own keys and revocation list. Failures answer as RFC 6750 §3 says: 401 with a Bearer challenge
// (invalid_token when a token was presented), 403 insufficient_scope for a missing scope.
import type { Context, Middleware } from 'koa';

import { AppError } from '../../errors/app-error.js';
import type { AccessTokenVerifier } from '../../oidc/access-token-verifier.js';
import type { Actor } from '../../services/actor.js';
import { ADMIN_READ, ADMIN_WRITE } from '../../services/admin-api.js';
import type { AuditLog } from '../../services/audit-log.js';
import type { Catalog } from '../../services/catalog.js';
import { requestFacts } from '../request-facts.js';

export type AdminScope = typeof ADMIN_READ | typeof ADMIN_WRITE;

export interface AdminAuthDependencies {
  verifier: Pick<AccessTokenVerifier, 'verify'>;
  catalog: Pick<Catalog, 'client'>;
  audit: AuditLog;
  /** The admin API identifier: the audience its tokens must carry. */
  audience: string;
  realm: string;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** Quoted-string per RFC 9110 §5.6.4 (the descriptions are ours, but stay safe). */
const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

export function createAdminAuth(deps: AdminAuthDependencies) {
  const challenge = (ctx: Context, params: Record<string, string>) => {
    ctx.set('WWW-Authenticate', `Bearer ${Object.entries({ realm: deps.realm, ...params }).map(([k, v]) => `${k}=${quote(v)}`).join(', ')}`);
  };
  /** `clientId`: the client a verified token belongs to, so a refused write names who tried it. */
  const fail = (ctx: Context, reason: string, error: AppError, clientId: string | null = null) => {
    deps.audit.record({ type: 'admin.auth.failure', outcome: 'failure', clientId, ...requestFacts(ctx), details: { reason, path: ctx.path } });
    throw error;
  };

  return function requireScope(scope: AdminScope): Middleware {
    return async (ctx, next) => {
      const header = ctx.get('authorization');
      const match = BEARER.exec(header);
      if (!match) {
        // No credentials for this scheme: a bare challenge, without an error code (RFC 6750 §3.1).
        challenge(ctx, {});
        return fail(ctx, header ? 'not_bearer' : 'missing_token', new AppError('unauthorized', 'a bearer access token for the admin API is required'));
      }
      const invalid = (reason: string, description: string) => {
        challenge(ctx, { error: 'invalid_token', error_description: description });
        return fail(ctx, reason, new AppError('invalid_token', description));
      };
      const token = await deps.verifier.verify(match[1]!);
      if (!token) return invalid('invalid_token', 'the access token is invalid, expired or revoked');
      const audiences = Array.isArray(token.aud) ? token.aud : [token.aud];
      if (!audiences.includes(deps.audience)) return invalid('wrong_audience', 'the access token is not for the admin API');
      // Admin tokens come from client_credentials: no grant, and the subject is the client itself.
      if (token.grantId || token.sub !== token.clientId) return invalid('end_user_token', 'the admin API accepts only tokens of admin clients, not of users');
      const client = await deps.catalog.client(token.clientId);
      if (!client?.isAdmin) return invalid('not_admin_client', 'the client of this token is not an admin client');

      // What the token says, within what the client may do now: narrowing an admin client's scope
      // takes effect at once, not when its tokens expire.
      const current = new Set(String(client.metadata.scope ?? '').split(' ').filter(Boolean));
      const granted = new Set((token.scope ?? '').split(' ').filter((s) => s && current.has(s)));
      const allowed = scope === ADMIN_READ ? granted.has(ADMIN_READ) || granted.has(ADMIN_WRITE) : granted.has(ADMIN_WRITE);
      if (!allowed) {
        challenge(ctx, { error: 'insufficient_scope', error_description: `this operation needs the ${scope} scope`, scope });
        return fail(ctx, 'insufficient_scope', new AppError('insufficient_scope', `this operation needs the ${scope} scope`), token.clientId);
      }
      const facts = requestFacts(ctx);
      const actor: Actor = { via: 'admin_api', clientId: token.clientId, ip: facts.ip, userAgent: facts.userAgent, requestId: facts.requestId };
      ctx.state.adminActor = actor;
      await next();
    };
  };
}
