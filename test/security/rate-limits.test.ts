// Rate limits attacked over HTTP: the 429 arrives exactly at the configured point, with Retry-After,
// the IETF RateLimit headers and the OAuth error shape; it is audited and counted; counters are
// shared by two instances (Postgres, and Redis when available); and with Redis unreachable the
// server keeps serving and keeps limiting with its per-process fallback.
import { expect } from 'chai';

import { FormBrowser } from '../helpers/browser.js';
import { createApi, createMachineClient, createUser, signIn } from '../helpers/fixtures.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { pkce, postForm } from './support.js';

const API = 'https://orders.example.com';
const redisUrl = process.env.TEST_REDIS_URL;

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function tokenRequest(issuer: string, client: { clientId: string; clientSecret: string }, headers: Record<string, string> = {}) {
  return fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.clientId, client.clientSecret), ...headers },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read', resource: API }),
  });
}

/** Sends one request after the other (the order matters: the limit is reached at a known request). */
async function statuses(requests: (() => Promise<Response>)[]): Promise<number[]> {
  const out: number[] = [];
  for (const request of requests) {
    const response = await request();
    await response.arrayBuffer();
    out.push(response.status);
  }
  return out;
}

async function sequential(count: number, send: () => Promise<Response>): Promise<Response[]> {
  const out: Response[] = [];
  for (let i = 0; i < count; i += 1) {
    const response = await send();
    await response.clone().arrayBuffer();
    out.push(response);
  }
  return out;
}

describe('security: rate limits', () => {
  describe('per client at the token endpoint', () => {
    let server: TestServer;
    let client: { clientId: string; clientSecret: string };
    before(async () => {
      server = await startTestServer({ env: { RATE_LIMIT_TOKEN_PER_CLIENT: '5/1m', RATE_LIMIT_TOKEN_PER_IP: '1000/1m' } });
      await createApi(server.core, API, ['orders:read']);
      client = await createMachineClient(server.core, [API]);
    });
    after(async () => server?.stop());

    it('answers 429 at request 6 with Retry-After, RateLimit headers and the OAuth error shape', async () => {
      const responses = await sequential(6, () => tokenRequest(server.issuer, client));
      expect(responses.slice(0, 5).map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
      expect(responses[0]!.headers.get('ratelimit-policy')).to.include('"token-client";q=5;w=60');
      expect(responses[4]!.headers.get('ratelimit')).to.match(/"token-client";r=0;t=\d+/);
      const refused = responses[5]!;
      expect(refused.status).to.equal(429);
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
      expect(refused.headers.get('ratelimit-policy')).to.include('"token-client";q=5;w=60');
      expect(refused.headers.get('ratelimit')).to.match(/"token-client";r=0;t=\d+/);
      expect(refused.headers.get('content-type')).to.match(/^application\/json/);
      expect(refused.headers.get('x-request-id')).to.be.a('string');
      const body = (await refused.json()) as Record<string, unknown>;
      expect(body).to.have.keys(['error', 'error_description']);
      expect(body.error).to.equal('too_many_requests');
    });

    it('audits the first throttled request of a window (not each one after it) and counts them all in the metrics', async () => {
      // More refused requests in the same window: still one audit event, so a blocked sender cannot make each request a database write.
      expect((await sequential(5, () => tokenRequest(server.issuer, client))).map((r) => r.status)).to.deep.equal(Array(5).fill(429));
      await server.core.audit.flush();
      const events = await server.core.repositories.audit.query({ type: 'rate_limited', limit: 10 });
      expect(events.length).to.equal(1);
      expect(events[0]).to.deep.include({ outcome: 'failure', clientId: client.clientId, ip: '127.0.0.1' });
      expect(events[0]!.details).to.deep.include({ limiter: 'token-client', endpoint: 'token' });
      const metrics = await server.running.gatehouse.metrics.registry.getSingleMetricAsString('gatehouse_rate_limit_hits_total');
      expect(Number(/limiter="token-client"} (\d+)/.exec(metrics)?.[1])).to.be.at.least(6);
    });

    it('does not let a wrong secret use up the client\'s budget (only authenticated requests count)', async () => {
      const other = await createMachineClient(server.core, [API]);
      const attacks = await sequential(8, () => tokenRequest(server.issuer, { clientId: other.clientId, clientSecret: 'wrong' }));
      expect(attacks.map((r) => r.status)).to.deep.equal(Array(8).fill(401));
      expect((await tokenRequest(server.issuer, other)).status).to.equal(200);
    });
  });

  describe('per client at userinfo (opaque access tokens)', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ env: { RATE_LIMIT_USERINFO_PER_CLIENT: '3/1m' } });
    });
    after(async () => server?.stop());

    it('counts the client the token belongs to, and refuses the 4th request before processing it', async () => {
      const redirect = 'https://app.example.com/callback';
      await createUser(server.core);
      const created = await server.core.clients.create({ name: 'App', redirectUris: [redirect], apis: [] });
      const { verifier, challenge } = pkce();
      const url = new URL(`${server.issuer}/auth?${new URLSearchParams({ client_id: created.client.clientId, response_type: 'code', redirect_uri: redirect, scope: 'openid profile', code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`);
      const { callback } = await signIn(new FormBrowser(), url, redirect);
      const tokens = await postForm(
        `${server.issuer}/token`,
        { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: redirect },
        { authorization: basic(created.client.clientId, created.clientSecret!) },
      );
      const userinfo = () => fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${String(tokens.json?.access_token)}` } });
      expect(await statuses([userinfo, userinfo, userinfo])).to.deep.equal([200, 200, 200]);
      const refused = await userinfo();
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('ratelimit')).to.match(/"userinfo-client";r=0;t=\d+/);
      await server.core.audit.flush();
      const [event] = await server.core.repositories.audit.query({ type: 'rate_limited', limit: 1 });
      expect(event).to.deep.include({ clientId: created.client.clientId });
      expect(event!.details).to.deep.include({ limiter: 'userinfo-client', endpoint: 'userinfo' });
    });
  });

  describe('per IP', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ env: { RATE_LIMIT_INTROSPECTION_PER_IP: '3/1m', RATE_LIMIT_AUTHORIZATION_PER_IP: '2/1m/2m' } });
    });
    after(async () => server?.stop());

    it('refuses the 4th introspection request from one address, authenticated or not', async () => {
      const send = () => fetch(`${server.issuer}/token/introspection`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
      const got = await statuses([send, send, send]);
      expect(got).to.deep.equal([401, 401, 401]);
      const refused = await send();
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('ratelimit-policy')).to.equal('"introspection-ip";q=3;w=60');
      expect(((await refused.json()) as { error: string }).error).to.equal('too_many_requests');
    });

    it('answers a browser at the authorization endpoint with a 429 page, never a redirect', async () => {
      const send = () => fetch(`${server.issuer}/auth?client_id=x`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      await statuses([send, send]);
      const refused = await send();
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('location')).to.equal(null);
      expect(refused.headers.get('content-type')).to.match(/^text\/html/);
      // Blocked for the policy's 2 minutes, not just to the end of the window.
      expect(Number(refused.headers.get('retry-after'))).to.be.above(60);
      expect(await refused.text()).to.include('too_many_requests');
    });

    it('keeps counting per address: another address (through a trusted proxy only) is not affected', async () => {
      // TRUST_PROXY is off here: X-Forwarded-For cannot be used to dodge the limit.
      const refused = await fetch(`${server.issuer}/auth?client_id=x`, { headers: { 'x-forwarded-for': '198.51.100.7' }, redirect: 'manual' });
      expect(refused.status).to.equal(429);
    });
  });

  describe('every limited endpoint, by path', () => {
    const ENDPOINTS: [string, string, string][] = [
      ['token', 'POST', '/token'],
      ['introspection', 'POST', '/token/introspection'],
      ['revocation', 'POST', '/token/revocation'],
      ['userinfo', 'GET', '/me'],
      ['par', 'POST', '/request'],
      ['device', 'POST', '/device/auth'],
      ['registration', 'POST', '/reg'],
      ['authorization', 'GET', '/auth'],
    ];
    let server: TestServer;
    before(async () => {
      const env = Object.fromEntries(ENDPOINTS.map(([name]) => [`RATE_LIMIT_${name.toUpperCase()}_PER_IP`, '2/1m']));
      server = await startTestServer({ env: { ...env, DYNAMIC_REGISTRATION: 'open' } });
    });
    after(async () => server?.stop());

    for (const [name, method, path] of ENDPOINTS) {
      it(`${name}: the third request from one address → 429 (${name}-ip)`, async () => {
        const send = () =>
          fetch(`${server.issuer}${path}`, {
            method,
            headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } : { accept: 'application/json' },
            body: method === 'POST' ? 'client_id=x' : undefined,
            redirect: 'manual',
          });
        const got = await statuses([send, send]);
        expect(got, name).to.not.include(429);
        const refused = await send();
        expect(refused.status).to.equal(429);
        expect(refused.headers.get('ratelimit-policy')).to.equal(`"${name}-ip";q=2;w=60`);
        expect(((await refused.json()) as { error: string }).error).to.equal('too_many_requests');
      });
    }
  });

  describe('shared between two instances', () => {
    let testDb: TestDatabase;
    const servers: TestServer[] = [];
    after(async () => {
      for (const server of servers) await server.stop();
      await testDb?.drop();
    });

    for (const store of ['postgres', 'redis'] as const) {
      it(`counts requests to either instance against one limit (${store})`, async function () {
        if (store === 'postgres' && defaultKind() !== 'postgres') this.skip();
        if (store === 'redis' && !redisUrl) this.skip();
        testDb ??= await createTestDatabase();
        const env = { RATE_LIMIT_REVOCATION_PER_IP: '4/1m', REDIS_URL: store === 'redis' ? redisUrl : undefined };
        const a = await startTestServer({ env, testDatabase: testDb });
        const b = await startTestServer({ env, testDatabase: testDb });
        servers.push(a, b);
        // Redis keeps counters across test runs, and both instances see 127.0.0.1: start from zero.
        if (store === 'redis') await a.core.rateLimits.create('rl:revocation-ip', { points: 4, durationSeconds: 60 }).delete('127.0.0.1');
        const send = (server: TestServer) =>
          fetch(`${server.issuer}/token/revocation`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
        // Up to the limit, alternating: all served (each instance alone would allow 4 more).
        expect(await statuses([a, b, a, b].map((server) => () => send(server)))).to.not.include(429);
        // Instances write counts below half the limit in batches (every 100 ms): after that, the shared count decides.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await statuses([a, b, a, b].map((server) => () => send(server)))).to.deep.equal([429, 429, 429, 429]);
        await a.stop();
        await b.stop();
        servers.length = 0;
      });
    }
  });

  it('keeps serving and limiting with a per-process fallback when Redis is unreachable', async () => {
    const server = await startTestServer({ env: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_TOKEN_PER_IP: '3/1m' } });
    try {
      await createApi(server.core, API, ['orders:read']);
      const client = await createMachineClient(server.core, [API]);
      const got = await statuses(Array(4).fill(() => tokenRequest(server.issuer, client)));
      expect(got).to.deep.equal([200, 200, 200, 429]);
      expect(server.core.rateLimits.backend).to.equal('redis');
    } finally {
      await server.stop();
    }
  });
});
