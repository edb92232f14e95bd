// Starts a real Gatehouse HTTP server on 127.0.0.1 for a test, on its own fresh database.
import net from 'node:net';

import type { Config } from '../../src/config/config.js';
import type { Core } from '../../src/core.js';
import { createLogger } from '../../src/services/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './test-database.js';
import { testConfig } from './test-config.js';

export interface TestServer {
  issuer: string;
  config: Config;
  core: Core;
  running: RunningServer;
  testDatabase: TestDatabase;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startTestServer(
  options: { env?: Record<string, string | undefined>; kind?: DatabaseKind; testDatabase?: TestDatabase } = {},
): Promise<TestServer> {
  const testDatabase = options.testDatabase ?? (await createTestDatabase({ kind: options.kind }));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const config = testConfig({ PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer, ...options.env });
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const running = await startServer({ config, logger, database: testDatabase.database });
  return {
    issuer,
    config,
    core: running.gatehouse.core,
    running,
    testDatabase,
    async stop() {
      await running.stop(2000);
      if (!options.testDatabase) await testDatabase.drop();
    },
  };
}
