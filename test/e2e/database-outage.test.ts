// A real Postgres server stops (crash) and starts again in the middle of a bounded load against a
// Gatehouse process: requests needing the database get a quick 503 with Retry-After (OAuth
// endpoints in their JSON error shape, the authorization endpoint with RFC 6749's
// temporarily_unavailable redirect), no 500s, no crash, recovery without a restart, and every write
// the server acknowledged (tokens, consents, revocations, audit events) is there afterwards.
import { expect } from 'chai';
import * as oidc from 'openid-client';

import { loadConfig } from '../../src/config/config.js';
import { createCore, type Core } from '../../src/core.js';
import { createKnex, type Database } from '../../src/db/database.js';
import { createLogger } from '../../src/services/logger.js';
import { FormBrowser, type Page } from '../helpers/browser.js';
import { spawnCli, type CliOutcome } from '../helpers/cli.js';
import { createApi, createMachineClient, createUser, createWebClient, signIn, startAuthorization } from '../helpers/fixtures.js';
import { MAIN, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testEnv } from '../helpers/test-config.js';
import { freePort } from '../helpers/test-server.js';
import { createThrowawayPostgres, throwawayPostgresAvailable, type ThrowawayPostgres } from '../helpers/throwaway-postgres.js';

const ORDERS = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';
const USERS = 40;

interface Probe {
  at: number;
  name: string;
  status: number;
  retryAfter: string | null;
  body: string;
  location: string | null;
  ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class RecordingBrowser extends FormBrowser {
  constructor(private readonly statuses: number[]) {
    super();
  }

  override async get(url: string): Promise<Page> {
    const page = await super.get(url);
    this.statuses.push(page.status);
    return page;
  }

  override async post(url: string, form: Record<string, string>): Promise<Page> {
    const page = await super.post(url, form);
    this.statuses.push(page.status);
    return page;
  }
}

(throwawayPostgresAvailable() ? describe : describe.skip)('database outage under load (throwaway Postgres cluster)', function () {
  this.timeout(240_000);
  let cluster: ThrowawayPostgres;
  let server: ServerProcess;
  let database: Database;
  let core: Core;
  let issuer: string;
  let serverEnv: NodeJS.ProcessEnv;
  let web: oidc.Configuration;
  let worker: oidc.Configuration;
  const statuses: number[] = [];

  before(async () => {
    cluster = await createThrowawayPostgres();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const env = testEnv({
      DATABASE_URL: cluster.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: issuer,
      LOG_LEVEL: 'info',
      DB_CONNECT_TIMEOUT_MS: '1000',
      JANITOR_INTERVAL_SECONDS: '0',
      UNAVAILABLE_RETRY_AFTER_SECONDS: '3',
    });
    serverEnv = env;
    server = await startServerProcess(MAIN, env);

    database = {
      knex: createKnex(cluster.url, { poolMax: 4, statementTimeoutMs: 10_000, connectTimeoutMs: 2000 }),
      kind: 'postgres',
      description: 'outage test',
      connection: cluster.url,
      close: async () => {},
    };
    core = createCore({ config: loadConfig(env), database, logger: createLogger({ level: 'silent' }) });
    await createApi(core, ORDERS, ['orders:read']);
    for (let i = 0; i < USERS; i += 1) await createUser(core, `user${i}`);
    const webClient = await createWebClient(core, { redirectUri: REDIRECT, apis: [ORDERS] });
    const machine = await createMachineClient(core, [ORDERS]);
    const recordingFetch: oidc.CustomFetch = async (url, options) => {
      const response = await fetch(url, options as RequestInit);
      statuses.push(response.status);
      return response;
    };
    const configure = async (clientId: string, secret: string) => {
      const config = await oidc.discovery(new URL(issuer), clientId, secret, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
      config[oidc.customFetch] = recordingFetch;
      return config;
    };
    web = await configure(webClient.clientId, webClient.clientSecret!);
    worker = await configure(machine.clientId, machine.clientSecret);
  });

  after(async () => {
    await server?.stop();
    await database?.knex.destroy();
    await cluster?.destroy();
  });

  it('answers 503 + Retry-After quickly while Postgres is down, recovers by itself, and loses no acknowledged write', async () => {
    const signedIn: { user: string; refreshToken: string }[] = [];
    const revokedJtis: string[] = [];
    const probes: Probe[] = [];
    const failures: string[] = [];
    let nextUser = 0;
    // A user whose sign-in was not acknowledged signs in again later.
    const spareUsers: string[] = [];
    const started = Date.now();
    const STOP_AT = 3000;
    const START_AT = 6500;
    const END_AT = 10_000;
    let outage: 'before' | 'down' | 'after' = 'before';
    let cliDuringOutage: CliOutcome | undefined;

    const flow = async () => {
      const user = spareUsers.pop() ?? `user${nextUser++}`;
      try {
        const start = await startAuthorization(web, { redirectUri: REDIRECT, scope: 'openid offline_access orders:read', resource: ORDERS });
        const { callback } = await signIn(new RecordingBrowser(statuses), start.url, REDIRECT, { login: user });
        const tokens = await oidc.authorizationCodeGrant(web, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
        signedIn.push({ user, refreshToken: tokens.refresh_token! });
      } catch (error) {
        spareUsers.push(user);
        await sleep(250);
        // Not acknowledged (a 503 somewhere along the way): nothing to check later.
        const cause = (error as { cause?: unknown }).cause;
        failures.push(`${Date.now() - started} sign-in: ${(error as Error).message.slice(0, 100)} ${cause instanceof Response ? `${cause.status} ${(await cause.text()).slice(0, 200)}` : JSON.stringify(cause)?.slice(0, 300)}`);
      }
      try {
        const cc = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
        await oidc.tokenRevocation(worker, cc.access_token);
        revokedJtis.push(JSON.parse(Buffer.from(cc.access_token.split('.')[1]!, 'base64url').toString()).jti as string);
      } catch (error) {
        // As above.
        const cause = (error as { cause?: unknown }).cause;
        failures.push(`${Date.now() - started} revocation: ${(error as Error).message.slice(0, 100)} ${cause instanceof Response ? `${cause.status} ${(await cause.text()).slice(0, 200)}` : JSON.stringify(cause)?.slice(0, 300)}`);
      }
    };

    const probe = async (name: string, url: string, init?: RequestInit) => {
      const t0 = Date.now();
      const response = await fetch(url, { redirect: 'manual', ...init });
      const body = await response.text();
      statuses.push(response.status);
      probes.push({
        at: t0 - started,
        name,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body,
        location: response.headers.get('location'),
        ms: Date.now() - t0,
      });
    };
    const secret = (web.clientMetadata() as { client_secret: string }).client_secret;
    const basic = `Basic ${Buffer.from(`${web.clientMetadata().client_id}:${secret}`).toString('base64')}`;
    const authorizationUrl = (await startAuthorization(web, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: ORDERS })).url.toString();

    const workers = Array.from({ length: 3 }, async () => {
      while (Date.now() - started < END_AT && nextUser < USERS - 1) await flow();
    });
    const prober = (async () => {
      while (Date.now() - started < END_AT) {
        await Promise.all([
          probe('token', `${issuer}/token`, {
            method: 'POST',
            headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=refresh_token&refresh_token=not-a-real-refresh-token',
          }),
          probe('authorization', authorizationUrl),
          probe('readyz', `${issuer}/readyz`),
          probe('healthz', `${issuer}/healthz`),
        ]);
        await sleep(150);
      }
    })();
    const chaos = (async () => {
      await sleep(STOP_AT);
      await cluster.stop('immediate');
      outage = 'down';
      // The CLI (how operators register clients and APIs) reports the outage with its own exit code.
      cliDuringOutage = await spawnCli(['clients', 'list', '--json'], { ...serverEnv, LOG_LEVEL: 'silent' });
      const downSince = Date.now() - started;
      await sleep(START_AT - downSince);
      await cluster.start();
      outage = 'after';
    })();
    await Promise.all([...workers, prober, chaos]);
    expect(outage).to.equal('after');
    expect(cliDuringOutage?.code, cliDuringOutage?.stderr).to.equal(69);

    // No 500 anywhere, from any endpoint, before, during or after the outage.
    expect(statuses.filter((s) => s >= 500 && s !== 503)).to.deep.equal([]);
    expect(server.child.exitCode).to.equal(null);

    const during = probes.filter((p) => p.at > STOP_AT + 300 && p.at + p.ms < START_AT);
    expect(during.length).to.be.greaterThan(4);
    const token503 = during.filter((p) => p.name === 'token' && p.status === 503);
    expect(token503.length).to.be.greaterThan(0);
    for (const p of token503) {
      expect(p.retryAfter).to.equal('3');
      expect(JSON.parse(p.body)).to.deep.include({ error: 'temporarily_unavailable' });
    }
    const authDuring = during.filter((p) => p.name === 'authorization' && p.location);
    expect(authDuring.length).to.be.greaterThan(0);
    for (const p of authDuring) {
      const location = new URL(p.location!);
      if (location.searchParams.has('error')) {
        expect(location.searchParams.get('error')).to.equal('temporarily_unavailable');
        expect(location.searchParams.get('iss')).to.equal(issuer);
      }
    }
    expect(authDuring.some((p) => new URL(p.location!).searchParams.get('error') === 'temporarily_unavailable')).to.equal(true);
    for (const p of during.filter((x) => x.name === 'readyz')) expect(p.status).to.equal(503);
    for (const p of probes.filter((x) => x.name === 'healthz')) expect(p.status).to.equal(200);
    const slowest = Math.max(...during.filter((p) => p.status === 503).map((p) => p.ms));
    console.log(`      outage: ${during.length} probes while down, ${token503.length} token 503s, slowest 503 answered in ${slowest} ms; ${signedIn.length} sign-ins and ${revokedJtis.length} revocations acknowledged`);

    // Recovery without a restart.
    let ready = false;
    for (let i = 0; i < 60 && !ready; i += 1) {
      ready = (await fetch(`${issuer}/readyz`)).status === 200;
      if (!ready) await sleep(500);
    }
    expect(ready).to.equal(true);
    expect(server.child.exitCode).to.equal(null);

    // Every acknowledged write is there: refresh tokens (and their grants), consents, revocations, audit events.
    expect(signedIn.length, failures.join('\n')).to.be.greaterThan(0);
    for (const { refreshToken } of signedIn) {
      const refreshed = await oidc.refreshTokenGrant(web, refreshToken);
      expect(refreshed.access_token).to.be.a('string');
    }
    const consentRows = await database.knex('consents').join('users', 'users.id', 'consents.account_id').select('users.username');
    expect(consentRows.map((r: { username: string }) => r.username)).to.include.members(signedIn.map((s) => s.user));
    const revocationRows = await database.knex('token_revocations').where({ kind: 'jti' }).select('value');
    expect(revocationRows.map((r: { value: string }) => r.value)).to.include.members(revokedJtis);
    let audited: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const rows = await database.knex('audit_events').join('users', 'users.id', database.knex.raw('audit_events.user_id::uuid')).where('audit_events.type', 'login.success').select('users.username');
      audited = rows.map((r: { username: string }) => r.username);
      if (signedIn.every((s) => audited.includes(s.user))) break;
      await sleep(500);
    }
    expect(audited).to.include.members(signedIn.map((s) => s.user));

    // A new sign-in works after recovery, and the process stops cleanly.
    const start = await startAuthorization(web, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: ORDERS });
    const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT, { login: `user${USERS - 1}` });
    expect(callback.searchParams.get('code')).to.be.a('string');
    expect(await server.stop()).to.equal(0);
  });
});
