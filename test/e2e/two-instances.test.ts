// Two Gatehouse server processes on different ports share one Postgres database (and Redis when
// TEST_REDIS_URL is set), as instances behind one load balancer do: they serve one issuer, and a
// session, a token, a revocation, a new signing key and rate-limit counters are shared.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';

import { loadConfig } from '../../src/config/config.js';
import { createCore, type Core } from '../../src/core.js';
import { FormBrowser } from '../helpers/browser.js';
import { createApi, createMachineClient, createResourceServerClient, createUser, createWebClient, signIn, startAuthorization } from '../helpers/fixtures.js';
import { HARNESS, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testEnv } from '../helpers/test-config.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-database.js';
import { freePort } from '../helpers/test-server.js';
import { createLogger } from '../../src/services/logger.js';

const ORDERS = 'https://orders.example.com';
const BILLING = 'https://billing.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

interface Instance {
  process: ServerProcess;
  url: string;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, tries = 50): Promise<T> {
  let value = await probe();
  for (let i = 0; i < tries && !done(value); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await probe();
  }
  return value;
}

(serverUrl() ? describe : describe.skip)('two server processes sharing one database', function () {
  this.timeout(180_000);
  let testDb: TestDatabase;
  let core: Core;
  let issuer: string;
  const instances: Instance[] = [];
  let a: Instance;
  let b: Instance;

  // Endpoints of one instance, but the shared issuer: what clients get behind a load balancer.
  const configure = async (instance: Instance, clientId: string, secret: string) => {
    const metadata = (await (await fetch(`${instance.url}/.well-known/openid-configuration`)).json()) as oidc.ServerMetadata;
    const config = new oidc.Configuration(metadata, clientId, secret, oidc.ClientSecretBasic(secret));
    oidc.allowInsecureRequests(config);
    return config;
  };

  before(async () => {
    testDb = await createTestDatabase({ kind: 'postgres' });
    issuer = `http://127.0.0.1:${await freePort()}`;
    const shared = {
      DATABASE_URL: testDb.url,
      ISSUER: issuer,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JANITOR_INTERVAL_SECONDS: '0',
      ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    };
    for (let i = 0; i < 2; i += 1) {
      const port = await freePort();
      const child = await startServerProcess(HARNESS, testEnv({ ...shared, PORT: String(port) }));
      instances.push({ process: child, url: `http://127.0.0.1:${port}` });
    }
    [a, b] = instances as [Instance, Instance];
    core = createCore({ config: loadConfig(testEnv(shared)), database: testDb.database, logger: createLogger({ level: 'silent' }) });
    await createApi(core, ORDERS, ['orders:read']);
    await createUser(core, 'alice');
  });

  after(async () => {
    for (const instance of instances) expect(await instance.process.stop()).to.equal(0);
    await testDb?.drop();
  });

  it('runs as separate OS processes on different ports, with one issuer', async () => {
    expect(a.process.child.pid).to.not.equal(b.process.child.pid);
    expect(a.url).to.not.equal(b.url);
    for (const instance of instances) {
      const discovery = (await (await fetch(`${instance.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).to.equal(issuer);
    }
  });

  it('continues on one instance a session started on the other', async () => {
    const web = await createWebClient(core, { redirectUri: REDIRECT, apis: [ORDERS] });
    const atA = await configure(a, web.clientId, web.clientSecret!);
    const atB = await configure(b, web.clientId, web.clientSecret!);
    const browser = new FormBrowser();

    const first = await startAuthorization(atA, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: ORDERS });
    const { callback: fromA, pages } = await signIn(browser, first.url, REDIRECT);
    expect(pages.some((p) => p.body.includes('name="password"'))).to.equal(true);
    await oidc.authorizationCodeGrant(atA, fromA, { pkceCodeVerifier: first.verifier, expectedState: first.state, expectedNonce: first.nonce });

    // Same browser, other instance: no login page, straight back with a code (the session is in the database).
    const second = await startAuthorization(atB, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: ORDERS });
    const { callback: fromB, pages: pagesB } = await signIn(browser, second.url, REDIRECT);
    expect(pagesB.some((p) => p.body.includes('name="password"'))).to.equal(false);
    const tokens = await oidc.authorizationCodeGrant(atB, fromB, { pkceCodeVerifier: second.verifier, expectedState: second.state, expectedNonce: second.nonce });
    expect(tokens.claims()!.sub).to.equal((await core.users.list()).find((u) => u.username === 'alice')!.id);
  });

  it('introspects on one instance a token issued by the other, and sees a revocation made there', async () => {
    const machine = await createMachineClient(core, [ORDERS]);
    const rs = await createResourceServerClient(core, ORDERS);
    const workerA = await configure(a, machine.clientId, machine.clientSecret);
    const rsA = await configure(a, rs.clientId, rs.clientSecret);
    const rsB = await configure(b, rs.clientId, rs.clientSecret);

    const token = (await oidc.clientCredentialsGrant(workerA, { scope: 'orders:read', resource: ORDERS })).access_token;
    expect((await oidc.tokenIntrospection(rsB, token)).active).to.equal(true);

    await oidc.tokenRevocation(workerA, token);
    expect((await oidc.tokenIntrospection(rsA, token)).active).to.equal(false);
    const seenByB = await until(() => oidc.tokenIntrospection(rsB, token), (r) => r.active === false);
    expect(seenByB).to.deep.equal({ active: false });
  });

  it('uses a signing key created while running on both instances', async () => {
    // A new API with another algorithm makes a new signing key (here from a third process, like the CLI).
    const before = ((await (await fetch(`${a.url}/jwks`)).json()) as JSONWebKeySet).keys.map((k) => k.kid);
    await createApi(core, BILLING, ['billing:read'], { alg: 'PS256' });
    const machine = await createMachineClient(core, [BILLING]);
    const rs = await createResourceServerClient(core, BILLING);

    const jwksA = await until(async () => (await (await fetch(`${a.url}/jwks`)).json()) as JSONWebKeySet, (j) => j.keys.some((k) => k.alg === 'PS256'));
    const jwksB = await until(async () => (await (await fetch(`${b.url}/jwks`)).json()) as JSONWebKeySet, (j) => j.keys.some((k) => k.alg === 'PS256'));
    const newKid = jwksA.keys.find((k) => k.alg === 'PS256')!.kid!;
    expect(before).to.not.include(newKid);
    expect(jwksB.keys.map((k) => k.kid)).to.include(newKid);

    for (const [issuing, checking] of [[a, b], [b, a]] as const) {
      const worker = await configure(issuing, machine.clientId, machine.clientSecret);
      const token = (await oidc.clientCredentialsGrant(worker, { scope: 'billing:read', resource: BILLING })).access_token;
      expect(decodeProtectedHeader(token).kid).to.equal(newKid);
      const jwks = (await (await fetch(`${checking.url}/jwks`)).json()) as JSONWebKeySet;
      await jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience: BILLING, typ: 'at+jwt' });
      expect((await oidc.tokenIntrospection(await configure(checking, rs.clientId, rs.clientSecret), token)).active).to.equal(true);
    }
  });

  it('shares rate-limit counters (core.rateLimits) between the instances', async () => {
    const prefix = `two-instances-${randomBytes(4).toString('hex')}`;
    const consume = (instance: Instance) =>
      instance.process.request<{ allowed: boolean; remaining: number }>({ type: 'consume', prefix, key: '203.0.113.9', points: 3, durationSeconds: 60 });
    // The limiter's store connection opens with its first use; an instance that has served for a
    // moment has it. (Until then, and whenever the store is unreachable, the per-process insurance limiter counts.)
    for (const instance of instances) await instance.process.request({ type: 'consume', prefix, key: 'warm-up', points: 3, durationSeconds: 60 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await consume(a)).allowed).to.equal(true);
    expect((await consume(b)).allowed).to.equal(true);
    const third = await consume(a);
    expect(third).to.deep.include({ allowed: true, remaining: 0 });
    // The fourth request is over the limit, whichever instance receives it.
    expect((await consume(b)).allowed).to.equal(false);
    expect((await consume(a)).allowed).to.equal(false);
  });
});
