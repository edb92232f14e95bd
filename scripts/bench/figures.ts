// The figures the bench produces, shared by the runners, the report and the chart.
import type { LoadOutcome } from './load.js';

export const SCENARIOS = ['client_credentials', 'introspection', 'jwks', 'discovery', 'refresh_token', 'userinfo', 'sign_in'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Scenarios that run against the baseline too (bare oidc-provider can serve them). */
export const COMPARED: readonly Scenario[] = ['client_credentials', 'introspection', 'jwks', 'discovery'];

export type Target = 'gatehouse' | 'baseline';

/** One timed run of one scenario against one target: what the load generator measured (errors are
 * connection errors and timeouts plus non-2xx responses), and where it ran. */
export interface RunFigure extends LoadOutcome {
  scenario: Scenario;
  target: Target;
  round: number;
  connections: number;
  /** Database statements (round trips) the server sent per request in this run (Gatehouse only). */
  queriesPerRequest?: number;
  /** CPU milliseconds per request: the server process's, and the load generator's (this process). */
  serverCpuMs?: number;
  clientCpuMs?: number;
}

/** All runs of one scenario on one target, summarised. */
export interface Summary {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  requests: number;
  queriesPerRequest?: number;
  serverCpuMs?: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  gatehouse: Summary;
  baseline?: Summary;
  /** gatehouse / baseline throughput; for sign_in, flows/s over argon2id verifications/s. */
  ratio?: number;
  ratioAgainst?: 'baseline' | 'argon2id_limit';
  target?: number;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; model: string; memoryGb: number; node: string; postgres: string; redis: boolean; loadAverageAtStart: number[] };
  settings: { connections: number; durationSeconds: number; warmupSeconds: number; rounds: number; loginWorkers: number; argon2: { memoryCost: number; timeCost: number; parallelism: number } };
  argon2VerificationsPerSecond?: number;
  scenarios: ScenarioResult[];
  runs: RunFigure[];
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);

/** Mean throughput and median latency over the rounds, the worst p99, every error. */
export function summarise(runs: RunFigure[]): Summary {
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const median = (values: number[]) => sorted(values)[Math.floor((values.length - 1) / 2)] ?? 0;
  const queries = runs.map((r) => r.queriesPerRequest).filter((q): q is number => q !== undefined);
  const cpu = runs.map((r) => r.serverCpuMs).filter((q): q is number => q !== undefined);
  return {
    rps: mean(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(0, ...runs.map((r) => r.p99Ms)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    ...(queries.length ? { queriesPerRequest: mean(queries) } : {}),
    ...(cpu.length ? { serverCpuMs: mean(cpu) } : {}),
  };
}
