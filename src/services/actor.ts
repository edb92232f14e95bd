// Who made an administrative change (the CLI, an admin client through the admin API, or a client
// registering itself), and how such changes are written to the audit log.
import type { AuditLog } from './audit-log.js';

export interface Actor {
  /** account: the user themself, on the account page. */
  via: 'cli' | 'admin_api' | 'registration' | 'account';
  /** The admin client (admin API) or the registering client (registration). */
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export const CLI_ACTOR: Actor = Object.freeze({ via: 'cli' });

export interface AuditSubject {
  clientId?: string | null;
  userId?: string | null;
}

/** Records a successful change: the subject in the indexed columns, the actor in the details. */
export function recordChange(audit: AuditLog, type: string, actor: Actor, subject: AuditSubject, details: Record<string, unknown> = {}): void {
  audit.record({
    type,
    outcome: 'success',
    clientId: subject.clientId ?? null,
    userId: subject.userId ?? null,
    ip: actor.ip ?? null,
    userAgent: actor.userAgent ?? null,
    requestId: actor.requestId ?? null,
    details: { ...details, actor: { via: actor.via, ...(actor.clientId ? { client_id: actor.clientId } : {}) } },
  });
}
