// Reads what the server says about itself from its Prometheus endpoint: how many database queries
// it has run (every query is timed by src/db/instrumentation.ts) and its event-loop delay (prom-client
// samples it with perf_hooks.monitorEventLoopDelay and resets the maximum at every scrape).
import { metricValue, parseMetrics } from '../../test/helpers/metrics.js';

export interface ServerSample {
  queries: number;
  eventLoopDelayMaxSeconds: number;
  residentBytes: number;
}

export async function sampleServer(metricsUrl: string): Promise<ServerSample> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`metrics answered ${response.status}`);
  const samples = parseMetrics(await response.text());
  return {
    queries: metricValue(samples, 'gatehouse_db_query_duration_seconds_count'),
    eventLoopDelayMaxSeconds: metricValue(samples, 'nodejs_eventloop_lag_max_seconds'),
    residentBytes: metricValue(samples, 'process_resident_memory_bytes'),
  };
}
