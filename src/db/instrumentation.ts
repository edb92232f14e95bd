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
