// Records in the audit log what the token and revocation endpoints do: token.issued (code
// exchange, client credentials), token.refreshed, token.revoked (a token revoked at the revocation
// endpoint by its own client) and grant.revoked (by revocation, logout, or reuse of a code or
// refresh token). Never a token value; grant ids are not credentials.
import type { Context } from 'koa';
import Provider from 'oidc-provider';

import { requestFacts } from '../routes/request-facts.js';
import type { AuditLog } from '../services/audit-log.js';

interface OidcContext extends Context {
  oidc?: {
    route?: string;
    client?: { clientId: string };
    params?: { grant_type?: unknown; token_type_hint?: unknown };
    entities?: { Account?: { accountId?: string }; Grant?: { accountId?: string } };
  };
}

interface TokenModel {
  kind?: string;
  accountId?: string;
  clientId?: string;
  grantId?: string;
}

const userOf = (ctx: OidcContext) => ctx.oidc?.entities?.Account?.accountId ?? ctx.oidc?.entities?.Grant?.accountId ?? null;

export function auditTokens(provider: Provider, audit: AuditLog): void {
  provider.on('grant.success', (ctx: OidcContext) => {
    const grantType = typeof ctx.oidc?.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : 'unknown';
    const scope = (ctx.body as { scope?: unknown } | undefined)?.scope;
    audit.record({
      type: grantType === 'refresh_token' ? 'token.refreshed' : 'token.issued',
      outcome: 'success',
      clientId: ctx.oidc?.client?.clientId ?? null,
      userId: userOf(ctx),
      ...requestFacts(ctx),
      details: { grant_type: grantType.slice(0, 100), ...(typeof scope === 'string' ? { scope: scope.slice(0, 1000) } : {}) },
    });
  });

  provider.on('grant.revoked', (ctx: OidcContext, grantId: string) => {
    audit.record({
      type: 'grant.revoked',
      outcome: 'success',
      clientId: ctx.oidc?.client?.clientId ?? null,
      userId: userOf(ctx),
      ...requestFacts(ctx),
      details: { grant_id: grantId, by: ctx.oidc?.route ?? 'unknown' },
    });
  });

  const revoked = (token: TokenModel) => {
    // Destroyed elsewhere too (a reused refresh token): only the revocation endpoint's count here.
    const ctx = Provider.ctx as OidcContext | undefined;
    if (ctx?.oidc?.route !== 'revocation') return;
    audit.record({
      type: 'token.revoked',
      outcome: 'success',
      clientId: ctx.oidc.client?.clientId ?? token.clientId ?? null,
      userId: token.accountId ?? null,
      ...requestFacts(ctx),
      details: { token_type: token.kind ?? 'unknown', ...(token.grantId ? { grant_id: token.grantId } : {}) },
    });
  };
  provider.on('access_token.destroyed', revoked);
  provider.on('refresh_token.destroyed', revoked);
  provider.on('client_credentials.destroyed', revoked);
}
