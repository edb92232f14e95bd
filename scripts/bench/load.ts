// Drives one scenario against one target with autocannon for a bounded time and returns its figure.
import autocannon, { type Request } from 'autocannon';

export interface LoadSpec {
  /** The requests each connection sends in turn. */
  requests: Request[];
  /** Responses that were 2xx but wrong (an inactive introspection), counted by the spec itself. */
  failures?: () => number;
}

export interface LoadOutcome {
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export async function drive(url: string, spec: LoadSpec, options: { connections: number; seconds: number }): Promise<LoadOutcome> {
  const failuresBefore = spec.failures?.() ?? 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    requests: spec.requests,
  });
  const requests = result.requests.total;
  const failures = (spec.failures?.() ?? 0) - failuresBefore;
  return {
    seconds: result.duration,
    requests,
    rps: (result['2xx'] - failures) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + failures,
  };
}
