// What the connection pool and the queries are doing, for metrics: pool occupancy (read from
// knex's tarn pool) and the latency of every query (knex's query events).
import type { Knex } from 'knex';

export interface PoolStats {
  used: number;
  free: number;
  pendingAcquires: number;
  pendingCreates: number;
  max: number;
}

interface TarnPool {
  on(event: 'acquireSuccess', listener: (eventId: number, resource: unknown) => void): void;
  removeListener(event: 'acquireSuccess', listener: (eventId: number, resource: unknown) => void): void;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
}

export function poolStats(knex: Knex): PoolStats | undefined {
  const pool = (knex.client as { pool?: TarnPool }).pool;
  if (!pool) return undefined;
  return {
    used: pool.numUsed(),
    free: pool.numFree(),
    pendingAcquires: pool.numPendingAcquires(),
    pendingCreates: pool.numPendingCreates(),
    max: pool.max,
  };
}

export interface QueryObservation {
  operation: string;
  seconds: number;
  ok: boolean;
}

const OPERATIONS = new Set(['select', 'insert', 'update', 'delete', 'with', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'set', 'listen', 'notify']);

interface QueryData {
  __knexQueryUid?: string;
  sql?: string;
}

function operationOf(sql: string | undefined): string {
  const word = /^\s*([a-z]+)/i.exec(sql ?? '')?.[1]?.toLowerCase();
  return word && OPERATIONS.has(word) ? word : 'other';
}

/** Calls `observe` once per finished query; returns a function that stops observing. */
export function observeQueries(knex: Knex, observe: (observation: QueryObservation) => void): () => void {
  const started = new Map<string, { at: bigint; operation: string }>();
  const onQuery = (data: QueryData) => {
    if (!data.__knexQueryUid) return;
    // A query that never reports back (a destroyed pool) must not grow the map for ever.
    if (started.size > 10_000) started.clear();
    started.set(data.__knexQueryUid, { at: process.hrtime.bigint(), operation: operationOf(data.sql) });
  };
  const finish = (data: QueryData | undefined, ok: boolean) => {
    const uid = data?.__knexQueryUid;
    const start = uid ? started.get(uid) : undefined;
    if (!uid || !start) return;
    started.delete(uid);
    observe({ operation: start.operation, seconds: Number(process.hrtime.bigint() - start.at) / 1e9, ok });
  };
  const onResponse = (_response: unknown, data: QueryData) => finish(data, true);
  const onError = (_error: unknown, data: QueryData) => finish(data, false);
  knex.on('query', onQuery);
  knex.on('query-response', onResponse);
  knex.on('query-error', onError);
  return () => {
    knex.off('query', onQuery);
    knex.off('query-response', onResponse);
    knex.off('query-error', onError);
  };
}

interface QueryingConnection {
  query: (...args: unknown[]) => unknown;
}

/**
 * Calls `onStatement` for every statement sent over the pool's connections: knex's queries and
 * those of libraries that borrow a raw connection (the rate-limit store). Each is one round trip.
 */
export function countStatements(knex: Knex, onStatement: () => void): () => void {
  const pool = (knex.client as { pool?: TarnPool }).pool;
  if (!pool) return () => undefined;
  let counting = true;
  const instrumented = new WeakSet<object>();
  const onAcquire = (_eventId: number, resource: unknown) => {
    const connection = resource as QueryingConnection;
    if (!connection || typeof connection.query !== 'function' || instrumented.has(connection)) return;
    instrumented.add(connection);
    const query = connection.query;
    connection.query = function countedQuery(this: unknown, ...args: unknown[]) {
      if (counting) onStatement();
      return query.apply(this, args);
    };
  };
  pool.on('acquireSuccess', onAcquire);
  return () => {
    counting = false;
    pool.removeListener('acquireSuccess', onAcquire);
  };
}
