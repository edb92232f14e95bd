// Durations in settings: plain seconds (`600`) or a number with a unit (`90s`, `15m`, `12h`, `90d`).
import { z } from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

export function parseDuration(value: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(value);
  if (!match) return undefined;
  const unit = (match[2] || 's') as keyof typeof UNIT_SECONDS;
  return Number.parseInt(match[1]!, 10) * UNIT_SECONDS[unit];
}

/** A duration setting in whole seconds, at least `min`. */
export const durationSeconds = (min = 0) =>
  z
    .string()
    .transform((value, ctx) => {
      const seconds = parseDuration(value);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration: seconds, or a number with s, m, h or d (e.g. 600, 15m, 90d)' });
        return z.NEVER;
      }
      if (seconds < min) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${min} seconds` });
        return z.NEVER;
      }
      return seconds;
    });
