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

// jsonb holds neither NUL nor unpaired surrogates, and one such character must not block every
// later batch (a failed batch is retried): they are stored as U+FFFD. JSON.stringify writes both
// as \u escapes (and nothing else in that range), so they are found in its output, keys included;
// an escape preceded by an odd number of backslashes is literal text and left alone.
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;
function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\u') ? json.replace(UNSTORABLE_ESCAPE, '$1\\ufffd') : json;
}

export class AuditEventRepository {
  constructor(private readonly knex: Knex) {}

  async insertMany(events: AuditEvent[]): Promise<void> {
    if (!events.length) return;
    // The whole batch as one JSON parameter, unpacked by Postgres: hundreds of events cost the driver
    // a single value instead of a bound value (or an escaped array element) per field.
    const rows = events.map((e) => ({
      occurred_at: e.occurredAt.toISOString(),
      type: e.type,
      outcome: e.outcome,
      client_id: e.clientId ?? null,
      user_id: e.userId ?? null,
      ip: e.ip ?? null,
      user_agent: e.userAgent?.slice(0, 512) ?? null,
      request_id: e.requestId ?? null,
      details: e.details ?? {},
    }));
    await this.knex.raw(
      `INSERT INTO audit_events (occurred_at, type, outcome, client_id, user_id, ip, user_agent, request_id, details)
       SELECT occurred_at, type, outcome, client_id, user_id, ip, user_agent, request_id, details
       FROM jsonb_to_recordset(?::jsonb) AS e(occurred_at timestamptz, type text, outcome text, client_id text, user_id text, ip text, user_agent text, request_id text, details jsonb)`,
      [storableJson(rows)],
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
