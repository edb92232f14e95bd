// `gatehouse audit tail`: the latest audit events (oldest of them first, like tail), filtered like
// the admin API's GET /admin/v1/audit-events; with --follow, new events as they are written.
import { auditEventTypeSchema, presentAuditEvent, type AuditEventResponse } from '../../schemas/audit-event.js';
import { str, UsageError, type Command } from '../command.js';
import { wholeNumber } from '../options.js';

const MAX = 1000;

/** One line per event; values from requests are JSON-quoted, so no input can start a line of its own. */
function line(event: AuditEventResponse): string {
  const who = [
    event.client_id ? `client=${JSON.stringify(event.client_id)}` : '',
    event.user_id ? `user=${JSON.stringify(event.user_id)}` : '',
    event.ip ? `ip=${JSON.stringify(event.ip)}` : '',
    event.request_id ? `request=${JSON.stringify(event.request_id)}` : '',
  ].filter(Boolean);
  return [event.occurred_at, event.type, event.outcome, ...who, JSON.stringify(event.details)].join(' ');
}

export const auditTailCommand: Command = {
  path: ['audit', 'tail'],
  summary: 'Show the latest audit events (sign-ins, tokens, reuse, rate limiting, admin changes)',
  usage: [
    `gatehouse audit tail [--limit N (1-${MAX}, default 20)] [--type TYPE|PREFIX.*] [--client-id ID] [--user-id ID] [--since RFC3339] [--follow] [--json]`,
    '',
    '  --follow  keep printing new events as they are written (one line, or one JSON object per line with --json), until interrupted',
  ].join('\n'),
  options: {
    limit: { type: 'string' },
    type: { type: 'string' },
    'client-id': { type: 'string' },
    'user-id': { type: 'string' },
    since: { type: 'string' },
    follow: { type: 'boolean' },
  },
  async run(ctx, values) {
    const limit = wholeNumber(values.limit, 'limit') ?? 20;
    if (limit < 1 || limit > MAX) throw new UsageError(`--limit must be between 1 and ${MAX}`);
    const type = str(values.type);
    if (type && !auditEventTypeSchema.safeParse(type).success) throw new UsageError('--type must be an event type such as token.issued, or a prefix such as admin.*');
    const sinceText = str(values.since);
    const since = sinceText ? new Date(sinceText) : undefined;
    if (since && Number.isNaN(since.getTime())) throw new UsageError('--since must be a time such as 2026-11-28T12:00:00Z');
    const filter = { type, clientId: str(values['client-id']), userId: str(values['user-id']), since };
    const core = await ctx.core();
    const latest = (await core.repositories.audit.query({ ...filter, limit })).reverse().map(presentAuditEvent);
    if (values.follow !== true) return { json: { events: latest }, human: latest.length ? latest.map(line).join('\n') : '(none)' };

    const { json } = ctx;
    const print = (event: AuditEventResponse) => ctx.io.stdout.write(`${json ? JSON.stringify(event) : line(event)}\n`);
    latest.forEach(print);
    let lastId = latest.at(-1)?.id ?? (await core.repositories.audit.query({ limit: 1 }))[0]?.id ?? '0';
    let printed = latest.length;
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    while (!stopped) {
      const fresh = await core.repositories.audit.query({ ...filter, afterId: lastId, limit: 500 });
      for (const event of fresh.map(presentAuditEvent)) print(event);
      if (fresh.length) lastId = fresh.at(-1)!.id;
      printed += fresh.length;
      if (!fresh.length) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return { json: { followed: printed }, human: '' };
  },
};
