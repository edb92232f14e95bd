// Turns security events from the audit log into metrics: sign-ins by outcome (and the busiest
// failing source), reuse of single-use tokens, and every event type; and rate-limit hits by limiter.
import type { AuditEvent } from '../repositories/audit-events.js';
import type { GatehouseMetrics } from './metrics.js';

// Event types and limiter names come from code, but are checked anyway: labels must stay bounded.
const LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;
const label = (value: unknown, fallback: string) => (typeof value === 'string' && LABEL.test(value) ? value : fallback);

export const REUSE_EVENTS: Record<string, string> = {
  'refresh_token.reused': 'refresh_token',
  'code.reused': 'authorization_code',
};

/** One refused request, by limiter and source. */
export function recordRateLimitHit(metrics: GatehouseMetrics, limiter: string, ip: string): void {
  metrics.rateLimitHits.inc({ limiter: label(limiter, 'unknown') });
  metrics.rateLimitSources.record(ip);
}

export function recordAuditEvent(metrics: GatehouseMetrics, event: AuditEvent): void {
  metrics.auditEvents.inc({ type: label(event.type, 'other'), outcome: event.outcome });
  if (event.type === 'login.success' || event.type === 'login.failure') {
    metrics.logins.inc({ outcome: event.outcome });
    if (event.type === 'login.failure' && event.ip) metrics.loginFailureSources.record(event.ip);
    return;
  }
  // Rate-limit hits are counted where they happen (recordRateLimitHit): the audit log keeps only the
  // first refusal of each window.
  const tokenType = REUSE_EVENTS[event.type];
  if (tokenType) {
    metrics.tokenReuse.inc({ token_type: tokenType, grant_revoked: String(event.details?.grant_revoked === true) });
  }
}
