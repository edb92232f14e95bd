// The operator's settings for running Gatehouse at scale: metrics exposure, the janitor, the change
// feed's LISTEN connection and outbound HTTP timeouts. Parsed with the rest of the environment.
import { z } from 'zod';

export interface MetricsConfig {
  /** Serve /metrics on this separate port (and not on the main port). */
  port: number | undefined;
  host: string | undefined;
  /** Require `Authorization: Bearer <token>` for /metrics (on the main port, and on the metrics port if set). */
  token: string | undefined;
}

export interface JanitorConfig {
  /** Seconds between scheduled runs inside the server; 0 turns the schedule off (run `gatehouse janitor` instead). */
  intervalSeconds: number;
  batchSize: number;
  /** Each delete batch runs under this statement timeout (SET LOCAL, so it also works through PgBouncer). */
  statementTimeoutMs: number;
  /** One run stops after this long and continues at the next run. */
  maxRunMs: number;
  /** Used codes and rotated refresh tokens are kept this long for reuse detection, then removed. */
  consumedRetentionSeconds: number;
  changeEventRetentionSeconds: number;
  /** 0 keeps audit events forever. */
  auditRetentionSeconds: number;
}

export interface OperationsConfig {
  metrics: MetricsConfig;
  janitor: JanitorConfig;
  /** LISTEN/NOTIFY for immediate change propagation; off behind PgBouncer in transaction mode (polling remains). */
  changeFeedListen: boolean;
  /** A direct (not pooled) connection for LISTEN, when DATABASE_URL goes through PgBouncer. */
  databaseListenUrl: string | undefined;
  /** Timeout of the HTTP requests the server makes (clients' jwks_uri, sector_identifier_uri, back-channel logout). */
  outboundHttpTimeoutMs: number;
  /** Retry-After (seconds) sent with 503 while the database is unavailable. */
  unavailableRetryAfterSeconds: number;
  /** On SIGTERM/SIGINT, in-flight requests get this long before connections are closed. */
  shutdownDeadlineMs: number;
}

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback)
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const operationsEnvSchema = {
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).optional(),
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  JANITOR_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
  JANITOR_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1000),
  JANITOR_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  JANITOR_MAX_RUN_MS: z.coerce.number().int().positive().default(60_000),
  JANITOR_CONSUMED_RETENTION_SECONDS: z.coerce.number().int().min(0).default(24 * 3600),
  CHANGE_EVENT_RETENTION_SECONDS: z.coerce.number().int().min(60).default(3600),
  AUDIT_RETENTION_SECONDS: z.coerce.number().int().min(0).default(90 * 24 * 3600),
  CHANGE_FEED_LISTEN: flag('true'),
  DATABASE_LISTEN_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  OUTBOUND_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2500),
  UNAVAILABLE_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  SHUTDOWN_DEADLINE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
};

type OperationsEnv = z.output<z.ZodObject<typeof operationsEnvSchema>>;

export function toOperationsConfig(e: OperationsEnv): OperationsConfig {
  return {
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST, token: e.METRICS_TOKEN },
    janitor: {
      intervalSeconds: e.JANITOR_INTERVAL_SECONDS,
      batchSize: e.JANITOR_BATCH_SIZE,
      statementTimeoutMs: e.JANITOR_STATEMENT_TIMEOUT_MS,
      maxRunMs: e.JANITOR_MAX_RUN_MS,
      consumedRetentionSeconds: e.JANITOR_CONSUMED_RETENTION_SECONDS,
      changeEventRetentionSeconds: e.CHANGE_EVENT_RETENTION_SECONDS,
      auditRetentionSeconds: e.AUDIT_RETENTION_SECONDS,
    },
    changeFeedListen: e.CHANGE_FEED_LISTEN,
    databaseListenUrl: e.DATABASE_LISTEN_URL,
    outboundHttpTimeoutMs: e.OUTBOUND_HTTP_TIMEOUT_MS,
    unavailableRetryAfterSeconds: e.UNAVAILABLE_RETRY_AFTER_SECONDS,
    shutdownDeadlineMs: e.SHUTDOWN_DEADLINE_MS,
  };
}
