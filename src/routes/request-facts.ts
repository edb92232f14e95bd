// The facts about a request that the audit log records: client address, user agent, request id.
import type { Context } from 'koa';

export function requestFacts(ctx: Context): { ip: string; userAgent: string | null; requestId: string | null } {
  return {
    ip: ctx.ip,
    userAgent: ctx.get('user-agent') || null,
    requestId: (ctx.state.requestId as string | undefined) ?? null,
  };
}
