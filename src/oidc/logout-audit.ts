// Records RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) in the audit log: who signed
// out, from which client's request, and whether the whole sign-in session ended or only that
// client's part of it ("No, stay signed in"). A logout with no one signed in records nothing.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

import { requestFacts } from '../routes/request-facts.js';
import type { AuditLog } from '../services/audit-log.js';

interface LogoutContext extends Context {
  oidc?: {
    session?: { accountId?: string };
    params?: { logout?: unknown };
    entities?: { Client?: { clientId: string } };
  };
}

export function auditLogouts(provider: Provider, audit: AuditLog): void {
  provider.on('end_session.success', (ctx: LogoutContext) => {
    const accountId = ctx.oidc?.session?.accountId;
    if (!accountId) return;
    audit.record({
      type: 'logout',
      outcome: 'success',
      clientId: ctx.oidc?.entities?.Client?.clientId ?? null,
      userId: accountId,
      ...requestFacts(ctx),
      details: { ended: ctx.oidc?.params?.logout ? 'session' : 'client' },
    });
  });
}
