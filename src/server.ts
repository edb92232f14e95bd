// Starts a Gatehouse HTTP(S) server for a configuration: database, migrations, app, listener, and a
// graceful stop. Used by main.ts and by tests that need a real server process-in-process.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { createApp, type GatehouseApp } from './app.js';
import type { Config } from './config/config.js';
import { createDatabase, type Database } from './db/database.js';
import { migrateLatest } from './db/migrate.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js';
import type { Logger } from './services/logger.js';
import { readTlsFiles } from './tls.js';

export interface RunningServer {
  gatehouse: GatehouseApp;
  database: Database;
  server: http.Server | https.Server;
  port: number;
  /** The port /metrics is served on when METRICS_PORT is set. */
  metricsPort: number | undefined;
  /** Re-reads TLS_CERT_FILE and TLS_KEY_FILE (a renewed certificate) for new connections; false without TLS. */
  reloadTls(): boolean;
  stop(deadlineMs?: number): Promise<void>;
}

export async function startServer({
  config,
  logger,
  database: providedDatabase,
}: {
  config: Config;
  logger: Logger;
  /** A database opened by the caller (tests); otherwise one is opened from the configuration. */
  database?: Database;
}): Promise<RunningServer> {
  const database =
    providedDatabase ??
    (await createDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolMax: config.db.poolMax,
      statementTimeoutMs: config.db.statementTimeoutMs,
      connectTimeoutMs: config.db.connectTimeoutMs,
      queryTimeoutMs: config.db.queryTimeoutMs,
      logger,
      exclusive: true,
    }));
  try {
    const applied = await migrateLatest(database.knex, { serialise: database.kind === 'postgres' });
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
    const gatehouse = await createApp({ config, database, logger });
    const tls = config.tls;
    const server = tls
      ? https.createServer({ ...readTlsFiles(tls), minVersion: 'TLSv1.2' }, gatehouse.app.callback())
      : http.createServer(gatehouse.app.callback());
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const { metrics: metricsConfig } = config.operations;
    let metricsServer: MetricsServer | undefined;
    if (metricsConfig.port !== undefined) {
      metricsServer = await startMetricsServer({
        registry: gatehouse.metrics.registry,
        port: metricsConfig.port,
        host: metricsConfig.host ?? config.host,
        token: metricsConfig.token,
      }).catch(async (error: unknown) => {
        server.close();
        await gatehouse.close();
        throw error;
      });
    }

    let stopping: Promise<void> | undefined;
    // While stopping, a keep-alive connection is closed as soon as its response is sent: left idle,
    // it would hold server.close() until the deadline.
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      if (stopping) res.shouldKeepAlive = false;
      res.once('finish', () => {
        if (stopping) setImmediate(() => server.closeIdleConnections());
      });
    });
    const stop = (deadlineMs = 10_000) => {
      stopping ??= (async () => {
        gatehouse.beginShutdown();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
        await Promise.race([closed, deadline]);
        server.closeAllConnections();
        await metricsServer?.close();
        await gatehouse.close();
        if (!providedDatabase) await database.close();
      })();
      return stopping;
    };
    const reloadTls = () => {
      if (!tls) return false;
      // Throws (keeping the certificate in use) when the new files are unreadable or do not match.
      (server as https.Server).setSecureContext({ ...readTlsFiles(tls), minVersion: 'TLSv1.2' });
      return true;
    };
    return { gatehouse, database, server, port, metricsPort: metricsServer?.port, stop, reloadTls };
  } catch (error) {
    if (!providedDatabase) await database.close().catch(() => {});
    throw error;
  }
}
