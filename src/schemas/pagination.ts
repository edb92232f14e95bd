// List parameters shared by every admin list: page size and an opaque cursor (a base64url-encoded
// position in the (created_at, id) order), plus helpers for boolean query filters.
import { z } from 'zod';

import type { PageCursor, PageRequest } from '../repositories/keyset-page.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/;

/** A timestamp of the cursor's shape that is also a real moment (no 30 February, no year 0, no hour 99). */
function isRealTimestamp(value: string): boolean {
  const parts = TIMESTAMP.exec(value)?.slice(1).map(Number);
  if (!parts) return false;
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  if (year < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function encodeCursor(cursor: PageCursor | undefined): string | null {
  return cursor ? Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url') : null;
}

export function decodeCursor(value: string): PageCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [createdAt, id] = parsed as unknown[];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !isRealTimestamp(createdAt) || !ID.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

export const cursorSchema = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const cursor = decodeCursor(value);
    if (!cursor) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' });
      return z.NEVER;
    }
    return cursor;
  })
  .meta({ description: 'The next_cursor of the previous page.' });

export const pageSizeSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE_SIZE)
  .default(DEFAULT_PAGE_SIZE)
  .meta({ description: `Items per page (1–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}).` });

/** A boolean in a query string: true/false. */
export const queryBooleanSchema = z.enum(['true', 'false']).transform((v) => v === 'true');

export const pageQueryShape = {
  limit: pageSizeSchema,
  cursor: cursorSchema.optional(),
};

export function pageRequestOf(query: { limit: number; cursor?: PageCursor | undefined }): PageRequest {
  return { limit: query.limit, after: query.cursor };
}

/** What every list answers: the items and where the next page starts (null on the last page). */
export function pageResponseSchema<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item), next_cursor: z.string().nullable() });
}
