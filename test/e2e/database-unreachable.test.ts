// The database becomes unreachable in the ways a network and a server fail (a black-holed path that
// accepts and then says nothing, a database that refuses connections): requests that need it are
// answered 503 with Retry-After in bounded time — OAuth endpoints {"error":"temporarily_unavailable"},
// /auth by redirecting that error — connections left stalled are not reused, and the server
// recovers by itself. A TCP proxy in the test stands between Gatehouse and the real Postgres server.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';

import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';

import { loadConfig } from '../../src/config/config.js';
import { poolStats } from '../../src/db/instrumentation.js';
import { createLogger } from '../../src/services/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createWebClient } from '../helpers/fixtures.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { testEnv } from '../helpers/test-config.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-database.js';
import { freePort } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';
const BOUND_MS = 15_000;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: string;
  location: string | null;
  ms: number;
}

async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = Date.now();
  // Far beyond the bound: a hang shows up as a failed assertion, not as a stuck test.
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(40_000), ...init });
  const body = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body, location: response.headers.get('location'), ms: Date.now() - started };
}

(serverUrl() ? describe : describe.skip)('database unreachable (TCP proxy in front of Postgres)', function () {
  this.timeout(180_000);
  let testDb: TestDatabase;
  let dbName: string;
  let admin: Knex;
  let proxy: TcpProxy;
  let running: RunningServer;
  let issuer: string;
  let basic: string;
  let adminToken: string;
  let authorizationUrl: string;
  const logLines: string[] = [];
  const consoleOutput: string[] = [];
  const originalConsole = { log: console.log, warn: console.warn, error: console.error };

  const token = () =>
    request(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=not-a-real-refresh-token',
    });
  const authorize = () => request(authorizationUrl);
  const adminList = () => request(`${issuer}/admin/v1/clients`, { headers: { authorization: `Bearer ${adminToken}` } });

  const expectUnavailable = (answers: Record<string, Answer>) => {
    for (const [name, a] of Object.entries(answers)) {
      expect(a.ms, `${name} answered in ${a.ms} ms`).to.be.below(BOUND_MS);
      if (name === 'authorize') {
        expect(a.status, `${name}: ${a.status} ${a.body.slice(0, 200)}`).to.equal(303);
        const location = new URL(a.location!);
        expect(location.origin + location.pathname).to.equal(REDIRECT);
        expect(location.searchParams.get('error')).to.equal('temporarily_unavailable');
      } else {
        expect(a.status, `${name}: ${a.status} ${a.body.slice(0, 200)}`).to.equal(503);
        expect(a.retryAfter).to.equal('3');
        if (name === 'token') expect(JSON.parse(a.body)).to.deep.include({ error: 'temporarily_unavailable' });
      }
    }
  };

  const expectHealthy = (answers: Record<string, Answer>) => {
    expect(answers.token!.status, answers.token!.body).to.equal(400);
    expect(JSON.parse(answers.token!.body)).to.deep.include({ error: 'invalid_grant' });
    expect(answers.admin!.status, answers.admin!.body).to.equal(200);
    expect(answers.authorize!.status).to.equal(303);
    expect(new URL(answers.authorize!.location!, issuer).pathname).to.match(/^\/interaction\//);
  };

  const all = async () => {
    const [t, a, l] = await Promise.all([token(), authorize(), adminList()]);
    return { token: t, authorize: a, admin: l };
  };

  const unavailableCount = async () => {
    const metric = await running.gatehouse.metrics.registry.getSingleMetric('gatehouse_db_unavailable_total')!.get();
    return metric.values.reduce((sum, v) => sum + v.value, 0);
  };

  before(async () => {
    testDb = await createTestDatabase();
    dbName = new URL(testDb.url!).pathname.slice(1);
    admin = knexFactory({ client: 'pg', connection: serverUrl()!, pool: { min: 0, max: 1 } });
    const target = new URL(testDb.url!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const config = loadConfig(
      testEnv({
        DATABASE_URL: proxy.url(testDb.url!),
        PORT: String(port),
        HOST: '127.0.0.1',
        ISSUER: issuer,
        DB_POOL_MAX: '4',
        DB_STATEMENT_TIMEOUT_MS: '1000',
        DB_CONNECT_TIMEOUT_MS: '1000',
        UNAVAILABLE_RETRY_AFTER_SECONDS: '3',
        JANITOR_INTERVAL_SECONDS: '0',
        CHANGE_FEED_LISTEN: 'false',
      }),
    );
    const sink = new PassThrough();
    let pending = '';
    sink.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      logLines.push(...lines);
    });
    // knex's default logger prints to the console; nothing may reach it.
    for (const method of ['log', 'warn', 'error'] as const) console[method] = (...args: unknown[]) => void consoleOutput.push(args.map(String).join(' '));
    running = await startServer({ config, logger: createLogger({ level: 'info', destination: sink }) });
    const core = running.gatehouse.core;
    const web = await createWebClient(core, { redirectUri: REDIRECT });
    basic = `Basic ${Buffer.from(`${web.clientId}:${web.clientSecret!}`).toString('base64')}`;
    authorizationUrl = `${issuer}/auth?${new URLSearchParams({
      client_id: web.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      state: 'state-1',
      code_challenge: randomBytes(32).toString('base64url'),
      code_challenge_method: 'S256',
    }).toString()}`;
    const { client, clientSecret } = await core.clients.create({ name: 'Admin automation', isAdmin: true });
    const tokenResponse = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret!}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin:read', resource: core.adminApi }),
    });
    adminToken = ((await tokenResponse.json()) as { access_token: string }).access_token;
    expectHealthy(await all());
  });

  after(async () => {
    Object.assign(console, originalConsole);
    await running?.stop(2000);
    await proxy?.close();
    await admin?.raw(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`).catch(() => {});
    await admin?.destroy();
    await testDb?.drop();
  });

  it('black-holed path: requests on pooled connections end with 503 in bounded time, and the stalled connections are not reused', async () => {
    // Every pooled connection in use at once, so the pool holds as many as it may.
    await Promise.all([all(), all()]);
    expect(proxy.openConnections()).to.be.at.least(2);
    const before = await unavailableCount();
    proxy.setMode('blackhole');
    proxy.stallOpenConnections();
    // Twice: first the stalled pooled connections, then new connection attempts nobody answers.
    expectUnavailable(await all());
    expectUnavailable(await all());
    expect(await unavailableCount()).to.be.above(before);
    // An idle pooled connection that stalled is only found out when a query next uses it (no round
    // trip can tell before): keep asking until the pool holds none of them, so that the check below
    // is about the connections that timed out, which must be gone.
    const pool = poolStats(running.gatehouse.core.database.knex);
    for (let round = 0; round < 6 && (poolStats(running.gatehouse.core.database.knex)?.free ?? 0) > 0; round += 1) expectUnavailable(await all());
    expect(poolStats(running.gatehouse.core.database.knex)?.free ?? 0, `pool before: ${JSON.stringify(pool)}`).to.equal(0);

    // The path is back for new connections; the stalled ones stay dead and must have been discarded.
    proxy.setMode('forward');
    // A connection that stalled while idle costs the request that next uses it one query timeout
    // (the documented limit of a client-side check): one round uses up any left, then all is healthy.
    await all();
    for (let i = 0; i < 6; i += 1) {
      const answers = { token: await token(), authorize: await authorize(), admin: await adminList() };
      for (const a of Object.values(answers)) expect(a.ms).to.be.below(BOUND_MS);
      expectHealthy(answers);
    }
  });

  it('a database that refuses connections (not accepting connections) is answered 503, not 500', async () => {
    await admin.raw(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
    // Pooled connections go too: Gatehouse has to open new ones.
    await admin.raw('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()', [dbName]);
    const before = await unavailableCount();
    expectUnavailable(await all());
    expectUnavailable(await all());
    expect(await unavailableCount()).to.be.at.least(before + 4);

    await admin.raw(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
    expectHealthy(await all());
  });

  it('logs the outages as JSON lines, knex messages without stacks and not once per request', () => {
    // oidc-provider's own documented warning (README, Logging) is the only console line allowed.
    const printed = consoleOutput.filter((line) => !line.startsWith('oidc-provider WARNING'));
    expect(printed, printed.slice(0, 3).join('\n')).to.deep.equal([]);
    const entries = logLines.map((line) => JSON.parse(line) as { component?: string; detail?: string; msg: string; err?: { code?: string } });
    const knexEntries = entries.filter((e) => e.component === 'knex');
    expect(knexEntries.length).to.be.greaterThan(0);
    for (const e of knexEntries) expect(e.detail).to.not.include('\n');
    // Each distinct message at most once per 10 s: a few lines, not one per failed request.
    expect(knexEntries.length).to.be.below(15);
  });
});
