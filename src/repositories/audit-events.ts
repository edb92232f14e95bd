// The audit_events table: append-only records of security-relevant events.
import type { Knex } from 'knex';

export interface AuditEvent {
  occurredAt: Date;
  type: string;
  outcome: 'success' | 'failure';
  clientId?: string | null;
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

export interface StoredAuditEvent extends AuditEvent {
  id: string;
}

export interface AuditQuery {
  type?: string;
  clientId?: string;
  userId?: string;
  since?: Date;
  /** Events with an id below this (cursor for older pages). */
  beforeId?: string;
  /** Events with an id above this, oldest first (following new events). */
  afterId?: string;
  limit: number;
}

interface AuditRow {
  id: string;
  occurred_at: Date;
  type: string;
  outcome: 'success' | 'failure';
  client_id: string | null;
  user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

export class AuditEventRepository {
  constructor(private readonly knex: Knex) {}

  async insertMany(events: AuditEvent[]): Promise<void> {
    if (!events.length) return;
    // One array per column (unnest), not a bound value per field: a batch of hundreds of events
    // costs the driver a handful of parameters instead of thousands.
    await this.knex.raw(
      `INSERT INTO audit_events (occurred_at, type, outcome, client_id, user_id, ip, user_agent, request_id, details)
       SELECT * FROM unnest(?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::jsonb[])`,
      [
        events.map((e) => e.occurredAt.toISOString()),
        events.map((e) => e.type),
        events.map((e) => e.outcome),
        events.map((e) => e.clientId ?? null),
        events.map((e) => e.userId ?? null),
        events.map((e) => e.ip ?? null),
        events.map((e) => e.userAgent?.slice(0, 512) ?? null),
        events.map((e) => e.requestId ?? null),
        events.map((e) => JSON.stringify(e.details ?? {})),
      ] as unknown as Knex.RawBinding[],
    );
  }

  /** Newest first (oldest first with afterId). */
  async query(q: AuditQuery): Promise<StoredAuditEvent[]> {
    const query = this.knex<AuditRow>('audit_events').orderBy('id', q.afterId ? 'asc' : 'desc').limit(q.limit);
    if (q.afterId) query.where('id', '>', q.afterId);
    // `admin.*`: every type with that prefix.
    if (q.type?.endsWith('.*')) query.whereLike('type', `${q.type.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`);
    else if (q.type) query.where('type', q.type);
    if (q.clientId) query.where('client_id', q.clientId);
    if (q.userId) query.where('user_id', q.userId);
    if (q.since) query.where('occurred_at', '>=', q.since);
    if (q.beforeId) query.where('id', '<', q.beforeId);
    const rows = await query;
    return rows.map((r) => ({
      id: String(r.id),
      occurredAt: r.occurred_at,
      type: r.type,
      outcome: r.outcome,
      clientId: r.client_id,
      userId: r.user_id,
      ip: r.ip,
      userAgent: r.user_agent,
      requestId: r.request_id,
      details: r.details,
    }));
  }

  async deleteOlderThan(before: Date, batchSize = 5000): Promise<number> {
    return this.knex('audit_events')
      .whereIn('id', this.knex('audit_events').select('id').where('occurred_at', '<', before).limit(batchSize))
      .delete();
  }
}
