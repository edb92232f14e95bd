// knex's own messages ("Acquire connection error: …", "Connection Error: …") as JSON log lines
// instead of its default console.log with a stack each: one line per distinct message, the same
// message again at most once per interval with how often it was left out. During an outage every
// request would otherwise print a stack.
import type { Knex } from 'knex';

import type { Logger } from '../services/logger.js';

type Level = 'debug' | 'warn' | 'error';

const MAX_TRACKED = 100;

function firstLine(message: unknown): string {
  const text = typeof message === 'string' ? message : message instanceof Error ? message.message : JSON.stringify(message) ?? String(message);
  return (text.split('\n', 1)[0] ?? '').slice(0, 500);
}

export function knexLog(logger: Logger, { repeatIntervalMs = 10_000, now = Date.now } = {}): NonNullable<Knex.Config['log']> {
  const seen = new Map<string, { at: number; suppressed: number }>();
  const write = (level: Level, message: unknown) => {
    const detail = firstLine(message);
    const key = `${level} ${detail}`;
    const entry = seen.get(key);
    const at = now();
    if (entry && at - entry.at < repeatIntervalMs) {
      entry.suppressed += 1;
      return;
    }
    if (!entry && seen.size >= MAX_TRACKED) seen.clear();
    const repeated = entry?.suppressed ?? 0;
    seen.set(key, { at, suppressed: 0 });
    logger[level]({ component: 'knex', detail, ...(repeated ? { repeated } : {}) }, `database client ${level === 'debug' ? 'debug' : level === 'warn' ? 'warning' : 'error'}`);
  };
  return {
    debug: (message: unknown) => write('debug', message),
    warn: (message: unknown) => write('warn', message),
    error: (message: unknown) => write('error', message),
    deprecate: (method: string, alternative: string) => write('warn', `${method} is deprecated, please use ${alternative}`),
  };
}
