// Every Prometheus metric Gatehouse exposes, in one registry per app instance (tests build several
// apps in one process, so nothing goes into prom-client's global default registry). Label values
// always come from a bounded set: route names, grant types, API identifiers, never raw input.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import { SourceWindow } from './source-window.js';

/** Read at scrape time, so the numbers are current and nothing polls in between. */
export interface MetricSources {
  pool(): { used: number; free: number; pendingAcquires: number; pendingCreates: number; max: number } | undefined;
  keys(): { kid: string; alg: string; state: string; createdAt: Date }[];
  revocationListSize(): number;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUERY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
export const SOURCE_WINDOW_MS = 5 * 60_000;

export class GatehouseMetrics {
  readonly registry = new Registry();
  readonly loginFailureSources = new SourceWindow(SOURCE_WINDOW_MS);
  readonly rateLimitSources = new SourceWindow(SOURCE_WINDOW_MS);

  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly httpInFlight: Gauge;
  readonly tokensIssued: Counter<'type' | 'grant_type' | 'api'>;
  readonly tokenRequests: Counter<'grant_type' | 'result'>;
  readonly introspections: Counter<'result'>;
  readonly tokenReuse: Counter<'token_type' | 'grant_revoked'>;
  readonly logins: Counter<'outcome'>;
  readonly rateLimitHits: Counter<'limiter'>;
  readonly auditEvents: Counter<'type' | 'outcome'>;
  readonly dbQueryDuration: Histogram<'operation' | 'outcome'>;
  readonly dbStatements: Counter;
  readonly dbUnavailable: Counter<'surface'>;
  readonly outboundRequests: Counter<'outcome'>;
  readonly outboundDuration: Histogram<'outcome'>;
  readonly janitorDeleted: Counter<'table'>;
  readonly janitorRuns: Counter<'result'>;
  readonly janitorLastSuccess: Gauge;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.httpRequests = new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests by method, route (the endpoint name or router path, never the raw path) and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.httpInFlight = new Gauge({ name: 'gatehouse_http_requests_in_flight', help: 'Requests being served now.', registers });
    this.tokensIssued = new Counter({
      name: 'gatehouse_tokens_issued_total',
      help: 'Tokens issued, by type (access_token, refresh_token), grant type and API (resource indicator).',
      labelNames: ['type', 'grant_type', 'api'],
      registers,
    });
    this.tokenRequests = new Counter({
      name: 'gatehouse_token_requests_total',
      help: 'Token endpoint requests by grant type and result (success, or the OAuth error code).',
      labelNames: ['grant_type', 'result'],
      registers,
    });
    this.introspections = new Counter({
      name: 'gatehouse_introspections_total',
      help: 'Introspection answers by result (active, inactive).',
      labelNames: ['result'],
      registers,
    });
    this.tokenReuse = new Counter({
      name: 'gatehouse_token_reuse_total',
      help: 'Second uses of a single-use token (refresh_token, authorization_code); grant_revoked=false inside the reuse grace window.',
      labelNames: ['token_type', 'grant_revoked'],
      registers,
    });
    this.logins = new Counter({ name: 'gatehouse_logins_total', help: 'Sign-in attempts by outcome.', labelNames: ['outcome'], registers });
    this.rateLimitHits = new Counter({
      name: 'gatehouse_rate_limit_hits_total',
      help: 'Requests refused by a rate limit, by limiter.',
      labelNames: ['limiter'],
      registers,
    });
    this.auditEvents = new Counter({
      name: 'gatehouse_audit_events_total',
      help: 'Audit events recorded, by type and outcome.',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.dbQueryDuration = new Histogram({
      name: 'gatehouse_db_query_duration_seconds',
      help: 'Database query latency by operation and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: QUERY_BUCKETS,
      registers,
    });
    this.dbStatements = new Counter({
      name: 'gatehouse_db_statements_total',
      help: 'Statements sent to the database over the pool (round trips), including those of the rate-limit store.',
      registers,
    });
    this.dbUnavailable = new Counter({
      name: 'gatehouse_db_unavailable_total',
      help: 'Requests answered 503 because the database was unreachable, by surface (oauth, page, api).',
      labelNames: ['surface'],
      registers,
    });
    this.outboundRequests = new Counter({
      name: 'gatehouse_outbound_requests_total',
      help: "HTTP requests Gatehouse made (clients' jwks_uri, sector_identifier_uri), by outcome (ok, error, timeout).",
      labelNames: ['outcome'],
      registers,
    });
    this.outboundDuration = new Histogram({
      name: 'gatehouse_outbound_request_duration_seconds',
      help: 'Latency of outbound HTTP requests by outcome.',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.janitorDeleted = new Counter({
      name: 'gatehouse_janitor_deleted_rows_total',
      help: 'Rows the janitor removed, by table.',
      labelNames: ['table'],
      registers,
    });
    this.janitorRuns = new Counter({
      name: 'gatehouse_janitor_runs_total',
      help: 'Janitor runs by result (completed, skipped: another instance held the lock, failed).',
      labelNames: ['result'],
      registers,
    });
    this.janitorLastSuccess = new Gauge({
      name: 'gatehouse_janitor_last_success_timestamp_seconds',
      help: 'When this instance last completed a janitor run (Unix time).',
      registers,
    });

    this.defineScrapeTimeGauges(sources, registers);
  }

  private defineScrapeTimeGauges(sources: MetricSources, registers: Registry[]): void {
    const loginSources = this.loginFailureSources;
    const rateLimitSources = this.rateLimitSources;
    new Gauge({
      name: 'gatehouse_login_failures_top_source',
      help: 'Failed sign-ins from the busiest single source (IP address) in the last 5 minutes, on this instance.',
      registers,
      collect() {
        this.set(loginSources.topCount());
      },
    });
    new Gauge({
      name: 'gatehouse_rate_limit_hits_top_source',
      help: 'Rate-limited requests from the busiest single source (IP address) in the last 5 minutes, on this instance.',
      registers,
      collect() {
        this.set(rateLimitSources.topCount());
      },
    });
    new Gauge({
      name: 'gatehouse_db_pool_connections',
      help: 'Database pool connections by state (used, free, pending_acquire, pending_create).',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = sources.pool();
        if (!stats) return;
        this.set({ state: 'used' }, stats.used);
        this.set({ state: 'free' }, stats.free);
        this.set({ state: 'pending_acquire' }, stats.pendingAcquires);
        this.set({ state: 'pending_create' }, stats.pendingCreates);
      },
    });
    new Gauge({
      name: 'gatehouse_db_pool_max_connections',
      help: 'Largest number of connections the pool may open.',
      registers,
      collect() {
        const stats = sources.pool();
        if (stats) this.set(stats.max);
      },
    });
    new Gauge({
      name: 'gatehouse_signing_key_age_seconds',
      help: 'Age of each signing key by kid, algorithm and state (current, next, retired).',
      labelNames: ['kid', 'alg', 'state'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const key of sources.keys()) {
          this.set({ kid: key.kid, alg: key.alg, state: key.state }, Math.max(0, (now - key.createdAt.getTime()) / 1000));
        }
      },
    });
    new Gauge({
      name: 'gatehouse_revocation_list_entries',
      help: 'Revoked JWT access tokens and grants held in memory for introspection.',
      registers,
      collect() {
        this.set(sources.revocationListSize());
      },
    });
  }
}
