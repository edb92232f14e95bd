// Reads what the server says about itself from its Prometheus endpoint: how many statements it has
// sent to the database (every round trip over the pool, counted by src/db/instrumentation.ts) and its event-loop delay (prom-client
// samples it with perf_hooks.monitorEventLoopDelay and resets the maximum at every scrape).
import { metricValue, parseMetrics } from '../../test/helpers/metrics.js';

export interface ServerSample {
  queries: number;
  eventLoopDelayMaxSeconds: number;
  residentBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

export async function sampleServer(metricsUrl: string): Promise<ServerSample> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`metrics answered ${response.status}`);
  const samples = parseMetrics(await response.text());
  return {
    queries: metricValue(samples, 'gatehouse_db_statements_total'),
    eventLoopDelayMaxSeconds: metricValue(samples, 'nodejs_eventloop_lag_max_seconds'),
    residentBytes: metricValue(samples, 'process_resident_memory_bytes'),
    heapTotalBytes: metricValue(samples, 'nodejs_heap_size_total_bytes'),
    heapUsedBytes: metricValue(samples, 'nodejs_heap_size_used_bytes'),
    externalBytes: metricValue(samples, 'nodejs_external_memory_bytes'),
  };
}
