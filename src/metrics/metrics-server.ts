// A listener of its own for /metrics (METRICS_PORT), so that scraping stays on an internal port the
// public load balancer never forwards to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import Koa from 'koa';
import type { Registry } from 'prom-client';

import { createMetricsRouter } from '../routes/metrics.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: { registry: Registry; port: number; host: string | undefined; token: string | undefined }): Promise<MetricsServer> {
  const app = new Koa();
  app.use(createMetricsRouter({ registry: options.registry, token: options.token }).routes());
  const server = http.createServer(app.callback());
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
