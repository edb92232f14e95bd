// pg's query_timeout answers the caller with "Query read timeout" but leaves the connection waiting
// for a reply that may never come (a black-holed server): every later query on it would queue
// behind the lost one. Such a connection is ended at once and never handed out by the pool again.
import type pg from 'pg';

const QUERY_READ_TIMEOUT = 'Query read timeout';

const abandoned = new WeakSet<object>();

type QueryFn = (...args: unknown[]) => unknown;

function abandon(connection: pg.Client): void {
  if (abandoned.has(connection)) return;
  abandoned.add(connection);
  // With a query still outstanding, pg's end() destroys the socket instead of waiting for a goodbye.
  connection.end().catch(() => {});
}

/** For the pool's validate: false for a connection given up on after a query timeout. */
export function isUsableConnection(connection: object): boolean {
  return !abandoned.has(connection);
}

/** Installed on every new pooled connection (the pool's afterCreate). */
export function abandonOnQueryTimeout(connection: pg.Client): void {
  const query = (connection.query as QueryFn).bind(connection);
  const onError = (error: unknown) => {
    if ((error as Error | null)?.message === QUERY_READ_TIMEOUT) abandon(connection);
  };
  (connection as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => {
        onError(error);
        (callback as (error: unknown, result: unknown) => void)(error, result);
      };
      return query(...args);
    }
    const result = query(...args);
    if (result instanceof Promise) return result.catch((error: unknown) => {
      onError(error);
      throw error;
    });
    return result;
  };
}
