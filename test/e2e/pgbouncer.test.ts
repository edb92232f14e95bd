// Gatehouse behind PgBouncer in transaction pooling mode (Debian's pgbouncer 1.18, which has no
// prepared-statement support): migrations at start, sign-in with code exchange, refresh rotation,
// client credentials, introspection and revocation, and the janitor all run through it, with
// LISTEN on a direct connection (DATABASE_LISTEN_URL) as the README's Scaling section advises.
import { expect } from 'chai';
import knexFactory from 'knex';
import * as oidc from 'openid-client';

import { loadConfig } from '../../src/config/config.js';
import { createCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/services/logger.js';
import { FormBrowser } from '../helpers/browser.js';
import { spawnCli } from '../helpers/cli.js';
import { createApi, createMachineClient, createResourceServerClient, createUser, createWebClient, signIn, startAuthorization } from '../helpers/fixtures.js';
import { pgbouncerAvailable, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { MAIN, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testEnv } from '../helpers/test-config.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-database.js';
import { freePort } from '../helpers/test-server.js';

const ORDERS = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

// CI installs pgbouncer; elsewhere the suite runs without it.
const runnable = Boolean(serverUrl()) && (pgbouncerAvailable() || process.env.CI === 'true');

(runnable ? describe : describe.skip)('behind PgBouncer in transaction pooling mode', function () {
  this.timeout(120_000);
  let testDb: TestDatabase;
  let bouncer: PgBouncer;
  let server: ServerProcess;
  let core: Core;
  let issuer: string;
  let env: NodeJS.ProcessEnv;

  const configure = async (clientId: string, secret: string) => {
    const config = await oidc.discovery(new URL(issuer), clientId, secret, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
    return config;
  };

  /** Transactions PgBouncer has carried to this test's database (its admin console's SHOW STATS). */
  const transactionsThroughBouncer = async (): Promise<number> => {
    const admin = new URL(bouncer.urlFor(testDb.url!));
    admin.pathname = '/pgbouncer';
    const { Client } = (await import('pg')).default;
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      const { rows } = await client.query<{ database: string; total_xact_count: string }>({ text: 'SHOW STATS', queryMode: 'simple' } as never);
      const name = new URL(testDb.url!).pathname.slice(1);
      return Number(rows.find((row) => row.database === name)?.total_xact_count ?? 0);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    testDb = await createTestDatabase({ kind: 'postgres', migrate: false });
    bouncer = await startPgBouncer(testDb.url!);
    issuer = `http://127.0.0.1:${await freePort()}`;
    env = testEnv({
      DATABASE_URL: bouncer.urlFor(testDb.url!),
      DATABASE_LISTEN_URL: testDb.url,
      // PgBouncer refuses statement_timeout as a start-up parameter: the README says to set it on the role.
      DB_STATEMENT_TIMEOUT_MS: '0',
      ISSUER: issuer,
      HOST: '127.0.0.1',
      PORT: new URL(issuer).port,
      LOG_LEVEL: 'info', // the readiness line is logged at info
      JANITOR_INTERVAL_SECONDS: '0',
      REFRESH_TOKEN_REUSE_GRACE: '0',
      ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    });
    // The server migrates the empty database through PgBouncer as it starts.
    server = await startServerProcess(MAIN, env);
    core = createCore({ config: loadConfig(env), database: testDb.database, logger: createLogger({ level: 'silent' }) });
    await createApi(core, ORDERS, ['orders:read']);
    await createUser(core, 'alice');
  });

  after(async () => {
    if (server) expect(await server.stop()).to.equal(0);
    await bouncer?.stop();
    await testDb?.drop();
  });

  it('migrated the database through PgBouncer and is ready', async () => {
    const ready = await fetch(`${issuer}/readyz`);
    expect(ready.status).to.equal(200);
    const direct = knexFactory({ client: 'pg', connection: testDb.url!, pool: { min: 0, max: 1 } });
    try {
      const { rows } = (await direct.raw('SELECT count(*)::int AS n FROM knex_migrations')) as { rows: { n: number }[] };
      expect(rows[0]!.n).to.be.greaterThan(0);
    } finally {
      await direct.destroy();
    }
    expect(await transactionsThroughBouncer()).to.be.greaterThan(0);
  });

  it('signs a user in; a replayed code fails and revokes its grant; rotated refresh tokens detect reuse', async () => {
    const web = await createWebClient(core, { redirectUri: REDIRECT, apis: [ORDERS] });
    const rp = await configure(web.clientId, web.clientSecret!);
    const browser = new FormBrowser();
    const codeFlow = async () => {
      const start = await startAuthorization(rp, { redirectUri: REDIRECT, scope: 'openid offline_access orders:read', resource: ORDERS, prompt: 'consent' });
      const { callback } = await signIn(browser, start.url, REDIRECT);
      const redeem = () => oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      return { tokens: await redeem(), redeem };
    };

    // The code is consumed atomically; its replay fails and ends the grant it produced.
    const first = await codeFlow();
    const replay = await first.redeem().catch((error: unknown) => error);
    expect((replay as oidc.ResponseBodyError).error).to.equal('invalid_grant');
    const afterReplay = await oidc.refreshTokenGrant(rp, first.tokens.refresh_token!).catch((error: unknown) => error);
    expect((afterReplay as oidc.ResponseBodyError).error).to.equal('invalid_grant');

    const { tokens } = await codeFlow();
    const rotated = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(rotated.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
    const reuse = await oidc.refreshTokenGrant(rp, tokens.refresh_token!).catch((error: unknown) => error);
    expect((reuse as oidc.ResponseBodyError).error).to.equal('invalid_grant');
    // Reuse revoked the grant: the rotated token dies too.
    const family = await oidc.refreshTokenGrant(rp, rotated.refresh_token!).catch((error: unknown) => error);
    expect((family as oidc.ResponseBodyError).error).to.equal('invalid_grant');
  });

  it('issues, introspects and revokes client-credentials tokens under concurrent load', async () => {
    const machine = await createMachineClient(core, [ORDERS]);
    const rs = await createResourceServerClient(core, ORDERS);
    const worker = await configure(machine.clientId, machine.clientSecret);
    const resourceServer = await configure(rs.clientId, rs.clientSecret);

    // More concurrent requests than PgBouncer has server connections (4).
    const issued = await Promise.all(
      Array.from({ length: 40 }, () => oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS })),
    );
    const results = await Promise.all(issued.map((t) => oidc.tokenIntrospection(resourceServer, t.access_token)));
    expect(results.every((r) => r.active === true)).to.equal(true);

    const victim = issued[0]!.access_token;
    await oidc.tokenRevocation(worker, victim);
    expect((await oidc.tokenIntrospection(resourceServer, victim)).active).to.equal(false);
    expect((await oidc.tokenIntrospection(resourceServer, issued[1]!.access_token)).active).to.equal(true);
  });

  it('runs the janitor through PgBouncer', async () => {
    const outcome = await spawnCli(['janitor', '--json'], env);
    expect(outcome.code, outcome.stderr).to.equal(0);
    expect(JSON.parse(outcome.stdout)).to.be.an('object');
  });

  it('logged no error while serving through PgBouncer', () => {
    expect(server.output()).to.not.match(/"level":(50|60)/);
  });
});
