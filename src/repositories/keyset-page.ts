// Keyset pagination over (created_at, id): each page continues strictly after the last row of the
// previous one, so rows added or removed meanwhile never shift a page (no duplicates, no skips of
// rows that existed throughout), unlike OFFSET. The cursor keeps created_at to the microsecond.
import type { Knex } from 'knex';

export interface PageRequest {
  limit: number;
  after?: PageCursor | undefined;
}

export interface PageCursor {
  createdAt: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts; undefined on the last page. */
  next: PageCursor | undefined;
}

const CURSOR_COLUMN = 'page_cursor_created_at';

/** Orders and limits a query by (created_at, id) after the cursor; selects the exact timestamp text too. */
export function applyKeyset(
  knex: Knex,
  query: Knex.QueryBuilder,
  columns: { createdAt: string; id: string },
  page: PageRequest,
): Knex.QueryBuilder {
  query
    .select(knex.raw(`to_char(?? AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${CURSOR_COLUMN}`, [columns.createdAt]))
    .orderBy(columns.createdAt, 'asc')
    // Byte order of the id's text: the same for uuid and text ids, whatever the database collation.
    .orderByRaw('??::text COLLATE "C" ASC', [columns.id])
    // One more than asked: whether there is a next page, without a count.
    .limit(page.limit + 1);
  if (page.after) {
    query.whereRaw('(??, ??::text COLLATE "C") > (?::timestamptz, ?::text COLLATE "C")', [columns.createdAt, columns.id, page.after.createdAt, page.after.id]);
  }
  return query;
}

/** Cuts the extra row off and derives the next cursor from the last row kept. */
export function toPage<Row extends Record<string, unknown>, T>(rows: Row[], page: PageRequest, idOf: (row: Row) => string, map: (rows: Row[]) => T[] | Promise<T[]>): Promise<Page<T>> {
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept.at(-1);
  const next = more && last ? { createdAt: String(last[CURSOR_COLUMN]), id: idOf(last) } : undefined;
  return Promise.resolve(map(kept)).then((items) => ({ items, next }));
}
