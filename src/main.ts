// Process entry: configuration → database → migrations → app → listen; graceful shutdown on signals.
import { ConfigError, loadConfig } from './config/config.js';
import { KeyDecryptionError } from './services/key-encryption.js';
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
      'using development secrets from the data directory (generated there on the first start); set them explicitly for production',
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
  if (config.tls) {
    // Certificate renewal (certbot's deploy hook, cert-manager): `kill -HUP` swaps it in for new
    // connections without a restart; a bad renewal keeps the certificate in use.
    process.on('SIGHUP', () => {
      try {
        running.reloadTls();
        logger.info({ cert_file: config.tls?.certFile }, 'TLS certificate reloaded');
      } catch (error) {
        logger.error({ err: error }, 'TLS certificate reload failed; still serving the previous certificate');
      }
    });
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`gatehouse: failed to start: ${(error as Error).message}\n`);
  // A KEK that cannot decrypt the stored keys is a configuration error (EX_CONFIG), like a bad setting.
  process.exit(error instanceof KeyDecryptionError ? 78 : 1);
});
