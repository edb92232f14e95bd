// Process entry: configuration → database → migrations → app → listen; graceful shutdown on signals.
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './services/logger.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`gatehouse: ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  }
  const logger = createLogger({ level: config.logLevel });
  if (config.secrets.generated.length) {
    logger.warn(
      { generated: config.secrets.generated, file: `${config.dataDir}/dev-secrets.json` },
      'development secrets were generated into the data directory; set them explicitly for production',
    );
  }
  const running = await startServer({ config, logger });
  logger.info(
    {
      issuer: config.issuer,
      port: running.port,
      database: running.database.description,
      discovery: `${config.issuer}/.well-known/openid-configuration`,
    },
    `Gatehouse is listening on port ${running.port}. Data: ${running.database.description}. Open ${config.issuer}/.well-known/openid-configuration`,
  );

  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    running
      .stop(config.operations.shutdownDeadlineMs)
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`gatehouse: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
