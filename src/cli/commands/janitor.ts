// `gatehouse janitor`: remove expired and used rows now, the same sweep the server runs on its schedule.
import type { Command } from '../command.js';
import { formatRecord } from '../format.js';

export const janitorCommand: Command = {
  path: ['janitor'],
  summary: 'Remove expired tokens, sessions, revocations, change events, rate-limit counters and old audit events now',
  usage: 'gatehouse janitor [--json]',
  options: {},
  async run(ctx) {
    const core = await ctx.core();
    const report = await core.janitor.runOnce();
    const json = { skipped: report.skipped, complete: report.complete, deleted: report.deleted, duration_ms: report.durationMs };
    if (report.skipped) {
      return { json, human: 'Another instance is running the janitor right now; nothing was done.' };
    }
    const total = Object.values(report.deleted).reduce((a, b) => a + b, 0);
    return {
      json,
      human: [
        `Removed ${total} row(s) in ${report.durationMs} ms${report.complete ? '' : ' (time budget used up; run again to continue)'}.`,
        formatRecord(report.deleted),
      ].join('\n'),
    };
  },
};
