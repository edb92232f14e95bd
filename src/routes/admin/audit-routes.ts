// Admin API: the audit log, newest first.
import { z } from 'zod';

import { auditEventResponseSchema, auditListQuery, encodeAuditCursor, presentAuditEvent } from '../../schemas/audit-event.js';
import { ADMIN_READ } from '../../services/admin-api.js';
import { defineRoute, type AdminRoute } from './route-spec.js';
import type { AdminServices } from './services.js';

export function auditRoutes({ auditEvents }: AdminServices): AdminRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/audit-events', operationId: 'listAuditEvents', tag: 'Audit log', scope: ADMIN_READ,
      summary: 'List audit events, newest first',
      description:
        'Security events (sign-ins, consents, tokens issued, refreshed and revoked, reuse of codes and refresh tokens, rate limiting, ' +
        'client and key changes, every admin action), filtered by type (or a `prefix.*`), client, user and time. Never secrets.',
      query: auditListQuery,
      status: 200,
      response: z.strictObject({ items: z.array(auditEventResponseSchema), next_cursor: z.string().nullable() }),
      async handle({ query }) {
        const items = await auditEvents.query({
          type: query.type,
          clientId: query.client_id,
          userId: query.user_id,
          since: query.since ? new Date(query.since) : undefined,
          beforeId: query.cursor,
          limit: query.limit + 1,
        });
        const page = items.slice(0, query.limit);
        return { items: page.map(presentAuditEvent), next_cursor: items.length > query.limit ? encodeAuditCursor(page.at(-1)?.id) : null };
      },
    }),
  ];
}
