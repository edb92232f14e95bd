// Records every second use of a single-use token in the audit log (refresh_token.reused,
// code.reused): both the library's own check (a token found already consumed) and the adapter's
// atomic consume (two concurrent redemptions), told apart from other invalid_grant errors by the
// detail each path gives (error_detail: logged and emitted, never sent to the client).
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

import { requestFacts } from '../routes/request-facts.js';
import type { AuditLog } from '../services/audit-log.js';

const REUSE_BY_DETAIL: Record<string, string> = {
  'refresh token already used': 'refresh_token.reused',
  'authorization code already consumed': 'code.reused',
  'grant already used': 'code.reused',
};

export function auditTokenReuse(provider: Provider, audit: AuditLog): void {
  provider.on('grant.error', (ctx: Context & { oidc?: { client?: { clientId: string } } }, error: { error_detail?: string; grantRevoked?: boolean }) => {
    const type = error.error_detail ? REUSE_BY_DETAIL[error.error_detail] : undefined;
    if (!type) return;
    audit.record({
      type,
      outcome: 'failure',
      clientId: ctx.oidc?.client?.clientId ?? null,
      ...requestFacts(ctx),
      // The library revokes the grant whenever it finds the token already consumed; the adapter says.
      details: { grant_revoked: error.grantRevoked ?? true },
    });
  });
}
