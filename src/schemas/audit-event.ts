// The audit log as the admin API and `gatehouse audit tail` show it: newest first, keyset-paginated
// by id (an opaque cursor), filtered by type, client, user and time.
import { z } from 'zod';

import type { StoredAuditEvent } from '../repositories/audit-events.js';
import { pageSizeSchema } from './pagination.js';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

export const auditCursorSchema = z
  .string()
  .max(100)
  .transform((value, ctx) => {
    const id = Buffer.from(value, 'base64url').toString('utf8');
    // An event id is a positive bigint: 19 digits can still be past its maximum (a 500 from Postgres).
    if (!/^[1-9]\d{0,18}$/.test(id) || BigInt(id) > MAX_BIGINT) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' });
      return z.NEVER;
    }
    return id;
  })
  .meta({ description: 'The next_cursor of the previous page.' });

export const encodeAuditCursor = (id: string | undefined) => (id ? Buffer.from(id, 'utf8').toString('base64url') : null);

export const auditEventTypeSchema = z
  .string()
  .max(100)
  // Letters, underscores and dots; a trailing `.*` makes it a prefix.
  .regex(/^[a-z_.]+(\.\*)?$/, 'is not an event type')
  .meta({ description: 'An event type (`token.issued`), or a prefix with `.*` (`admin.*`, `client.*`).' });

export const auditListQuery = z.strictObject({
  limit: pageSizeSchema,
  cursor: auditCursorSchema.optional(),
  type: auditEventTypeSchema.optional(),
  client_id: z.string().min(1).max(200).optional().meta({ description: 'Only events about this client.' }),
  user_id: z.string().min(1).max(200).optional().meta({ description: 'Only events about this user (id).' }),
  since: z.iso.datetime({ offset: true }).optional().meta({ description: 'Only events at or after this time (RFC 3339).' }),
});

export const auditEventResponseSchema = z
  .strictObject({
    id: z.string(),
    occurred_at: z.iso.datetime(),
    type: z.string(),
    outcome: z.enum(['success', 'failure']),
    client_id: z.string().nullable(),
    user_id: z.string().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });

export type AuditEventResponse = z.output<typeof auditEventResponseSchema>;

export function presentAuditEvent(event: StoredAuditEvent): AuditEventResponse {
  return {
    id: event.id,
    occurred_at: event.occurredAt.toISOString(),
    type: event.type,
    outcome: event.outcome,
    client_id: event.clientId ?? null,
    user_id: event.userId ?? null,
    ip: event.ip ?? null,
    user_agent: event.userAgent ?? null,
    request_id: event.requestId ?? null,
    details: event.details ?? {},
  };
}
