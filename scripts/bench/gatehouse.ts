// Gatehouse under test: a fresh Postgres database, the clients, API and users the scenarios use
// (seeded through the services, as the CLI does), and src/main.ts started as a child process in
// production mode with every security layer on.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';

import { loadConfig, type Config } from '../../src/config/config.js';
import { createCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/services/logger.js';
import { keysAt } from '../../src/services/signing-keys.js';
import { createApi, createMachineClient, createResourceServerClient, createUser, createWebClient, PASSWORD } from '../../test/helpers/fixtures.js';
import { MAIN } from '../../test/helpers/server-process.js';
import { ROOT } from '../../test/helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.js';
import { startChild, type Child } from './child.js';
import { imageRuntimeEnv } from './image-runtime.js';
import type { Credentials } from './scenarios.js';

export const API = 'https://bench.example.com';
export const SCOPE = 'bench:read';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/**
 * Rate limiting stays on and counts every request (in Postgres, or Redis with REDIS_URL); its limits
 * are raised so that the bench client, one IP address and one client id, stays under them.
 */
const BENCH_LIMIT = '100000000/10s';
export const BENCH_RATE_LIMITS: Record<string, string> = Object.fromEntries(
  ['TOKEN', 'INTROSPECTION', 'USERINFO', 'AUTHORIZATION'].flatMap((endpoint) => [
    [`RATE_LIMIT_${endpoint}_PER_IP`, BENCH_LIMIT],
    ...(endpoint === 'AUTHORIZATION' ? [] : [[`RATE_LIMIT_${endpoint}_PER_CLIENT`, BENCH_LIMIT]]),
  ]),
);

export interface GatehouseUnderTest {
  child: Child;
  issuer: string;
  metricsUrl: string;
  config: Config;
  core: Core;
  database: TestDatabase;
  machine: Credentials;
  resourceServer: Credentials;
  web: Credentials;
  logins: string[];
  password: string;
  /** The private signing keys, for the baseline to use the very same ones. */
  providerJwks(): Promise<object[]>;
  stop(): Promise<void>;
}

export interface GatehouseOptions {
  port: number;
  metricsPort: number;
  databaseUrl: string;
  redisUrl: string | undefined;
  workDir: string;
  users: number;
  logLevel: string;
  nodeArgs: string[];
  /** Extra environment for the server (rate-limit settings and the like). */
  env: Record<string, string>;
  /** `build`: compile with tsc and run dist/src/main.js on plain node, as the container image does. */
  server: 'build' | 'tsx';
}

/** `npm run build` into dist/, incremental so that a second run compiles only what changed. */
export async function buildServer(): Promise<string> {
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', 'dist/.tsbuildinfo'], { cwd: ROOT });
  return path.join(ROOT, 'dist', 'src', 'main.js');
}

export async function startGatehouse(options: GatehouseOptions): Promise<GatehouseUnderTest> {
  // test-database.ts creates its database next to TEST_DATABASE_URL's.
  process.env.TEST_DATABASE_URL = options.databaseUrl;
  const database = await createTestDatabase({ kind: 'postgres' });
  const issuer = `http://127.0.0.1:${options.port}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    ALLOW_HTTP_ISSUER: 'true',
    ISSUER: issuer,
    HOST: '127.0.0.1',
    PORT: String(options.port),
    DATABASE_URL: database.url!,
    GATEHOUSE_DATA_DIR: path.join(options.workDir, 'data'),
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    GATEHOUSE_PEPPER: randomBytes(32).toString('base64url'),
    METRICS_PORT: String(options.metricsPort),
    METRICS_HOST: '127.0.0.1',
    LOG_LEVEL: options.logLevel,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...BENCH_RATE_LIMITS,
    // As the container image runs it (its memory settings), unless running the sources through tsx.
    ...(options.server === 'build' ? imageRuntimeEnv() : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const core = createCore({ config, database: database.database, logger: createLogger({ level: 'silent' }) });
  await createApi(core, API, [SCOPE], { ttl: 3600 });
  const machine = await createMachineClient(core, [API]);
  const resourceServer = await createResourceServerClient(core, API);
  const web = await createWebClient(core, { redirectUri: REDIRECT_URI, apis: [API], name: 'Bench web app' });
  const logins = Array.from({ length: options.users }, (_, i) => `bench${i}`);
  for (const login of logins) await createUser(core, login);

  const child = await startChild({
    name: 'gatehouse',
    script: options.server === 'build' ? await buildServer() : MAIN,
    cwd: ROOT,
    env,
    logFile: path.join(options.workDir, 'gatehouse.log'),
    readyUrl: `${issuer}/.well-known/openid-configuration`,
    nodeArgs: options.nodeArgs,
  });
  return {
    child,
    issuer,
    metricsUrl: `http://127.0.0.1:${options.metricsPort}/metrics`,
    config,
    core,
    database,
    machine,
    resourceServer,
    web: { clientId: web.clientId, clientSecret: web.clientSecret! },
    logins,
    password: PASSWORD,
    providerJwks: async () => keysAt(await core.signingKeys.load(), Date.now()).providerJwks,
    async stop() {
      await child.stop();
      await core.audit.close();
      await core.rateLimits.close();
      await database.drop();
    },
  };
}
