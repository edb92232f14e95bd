// Option parsing shared by the CLI commands: numbers, booleans, lists and the paging options.
import type { PageCursor } from '../repositories/keyset-page.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, MAX_PAGE_SIZE } from '../schemas/pagination.js';
import { str, UsageError } from './command.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export function wholeNumber(value: unknown, option: string): number | undefined {
  const text = str(value);
  if (text === undefined) return undefined;
  if (!/^\d{1,12}$/.test(text)) throw new UsageError(`--${option} must be a whole number`);
  return Number(text);
}

/** Comma- or space-separated values of one option (e.g. --roles "a,b"). */
export function splitList(value: unknown): string[] | undefined {
  const text = str(value);
  return text === undefined ? undefined : text.split(/[\s,]+/).filter(Boolean);
}

export const PAGE_OPTIONS = {
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

export const PAGE_USAGE = `[--limit N (1-${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE})] [--cursor NEXT_CURSOR]`;

export function pageOf(values: Values): { limit: number; after: PageCursor | undefined } {
  const limit = wholeNumber(values.limit, 'limit') ?? DEFAULT_PAGE_SIZE;
  if (limit < 1 || limit > MAX_PAGE_SIZE) throw new UsageError(`--limit must be between 1 and ${MAX_PAGE_SIZE}`);
  const cursorText = str(values.cursor);
  const after = cursorText === undefined ? undefined : decodeCursor(cursorText);
  if (cursorText !== undefined && !after) throw new UsageError('--cursor must be a next_cursor printed by a previous list');
  return { limit, after };
}

/** A yes/no filter: --flag true|false. */
export function booleanFilter(value: unknown, option: string): boolean | undefined {
  const text = str(value);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false') throw new UsageError(`--${option} must be true or false`);
  return text === 'true';
}

export function nextPageNote(next: PageCursor | undefined): { next_cursor: string | null; note: string } {
  const cursor = encodeCursor(next);
  return { next_cursor: cursor, note: cursor ? `\n(more: --cursor ${cursor})` : '' };
}
