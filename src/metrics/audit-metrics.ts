// Turns security events from the audit log into metrics: sign-ins by outcome (and the busiest
// failing source), rate-limit hits by limiter, reuse of single-use tokens, and every event type.
import type { AuditEvent } from '../repositories/audit-events.js';
import type { GatehouseMetrics } from './metrics.js';

// Event types and limiter names come from code, but are checked anyway: labels must stay bounded.
const LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;
const label = (value: unknown, fallback: string) => (typeof value === 'string' && LABEL.test(value) ? value : fallback);

export const REUSE_EVENTS: Record<string, string> = {
  'refresh_token.reused': 'refresh_token',
  'code.reused': 'authorization_code',
};

export function recordAuditEvent(metrics: GatehouseMetrics, event: AuditEvent): void {
  metrics.auditEvents.inc({ type: label(event.type, 'other'), outcome: event.outcome });
  if (event.type === 'login.success' || event.type === 'login.failure') {
    metrics.logins.inc({ outcome: event.outcome });
    if (event.type === 'login.failure' && event.ip) metrics.loginFailureSources.record(event.ip);
    return;
  }
  if (event.type === 'rate_limited') {
    const details = event.details ?? {};
    metrics.rateLimitHits.inc({ limiter: label(details.limiter ?? details.name ?? details.policy ?? details.endpoint, 'unknown') });
    if (event.ip) metrics.rateLimitSources.record(event.ip);
    return;
  }
  const tokenType = REUSE_EVENTS[event.type];
  if (tokenType) {
    metrics.tokenReuse.inc({ token_type: tokenType, grant_revoked: String(event.details?.grant_revoked === true) });
  }
}
