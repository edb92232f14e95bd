// Prometheus metrics: exposed behind a bearer token or on a port of their own, one registry per app,
// and counting what an operator watches: requests by route and status, tokens by grant type and
// API, sign-ins, refresh-token reuse, introspection results, rate-limit hits, pool, queries, keys.
import { expect } from 'chai';
import * as oidc from 'openid-client';

import { FormBrowser, formAction, hiddenField } from '../helpers/browser.js';
import {
  PASSWORD,
  createApi,
  createMachineClient,
  createResourceServerClient,
  createUser,
  createWebClient,
  relyingParty,
  signIn,
  startAuthorization,
} from '../helpers/fixtures.js';
import { metricValue, parseMetrics, type Sample } from '../helpers/metrics.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const ORDERS = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';
const TOKEN = 'metrics-token-'.padEnd(40, 'x');

async function scrape(url: string, token = TOKEN): Promise<Sample[]> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).to.equal(200);
  expect(response.headers.get('content-type')).to.match(/^text\/plain/);
  return parseMetrics(await response.text());
}

describe('Prometheus metrics', () => {
  describe('behind a bearer token on the main port', () => {
    let server: TestServer;
    let worker: oidc.Configuration;
    let rs: oidc.Configuration;
    let web: oidc.Configuration;

    before(async () => {
      server = await startTestServer({ env: { METRICS_TOKEN: TOKEN, REFRESH_TOKEN_REUSE_GRACE: '0' } });
      await createApi(server.core, ORDERS, ['orders:read']);
      await createUser(server.core, 'alice');
      const machine = await createMachineClient(server.core, [ORDERS]);
      worker = await relyingParty(server.issuer, machine.clientId, machine.clientSecret);
      const rsClient = await createResourceServerClient(server.core, ORDERS);
      rs = await relyingParty(server.issuer, rsClient.clientId, rsClient.clientSecret);
      const webClient = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [ORDERS] });
      web = await relyingParty(server.issuer, webClient.clientId, webClient.clientSecret);
    });

    after(async () => server?.stop());

    it('refuses a scrape without the token, or with a wrong one', async () => {
      const none = await fetch(`${server.issuer}/metrics`);
      expect(none.status).to.equal(401);
      expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
      const wrong = await fetch(`${server.issuer}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).to.equal(401);
      expect(await wrong.text()).to.not.include('gatehouse_');
    });

    it('counts requests and latency by route name and status, never by raw path', async () => {
      await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
      await fetch(`${server.issuer}/interaction/some-unknown-uid-123`);
      await fetch(`${server.issuer}/no/such/path/abc123`);
      const samples = await scrape(`${server.issuer}/metrics`);
      expect(metricValue(samples, 'gatehouse_http_requests_total', { method: 'POST', route: 'token', status: '200' })).to.be.at.least(1);
      expect(metricValue(samples, 'gatehouse_http_request_duration_seconds_count', { route: 'token', status: '200' })).to.be.at.least(1);
      expect(metricValue(samples, 'gatehouse_http_requests_total', { route: 'discovery' })).to.be.at.least(1);
      expect(metricValue(samples, 'gatehouse_http_requests_total', { route: '/interaction/:uid' })).to.equal(1);
      expect(metricValue(samples, 'gatehouse_http_requests_total', { route: 'unmatched', status: '404' })).to.equal(1);
      const routes = samples.filter((s) => s.name === 'gatehouse_http_requests_total').map((s) => s.labels.route!);
      expect(routes.some((r) => r.includes('some-unknown-uid') || r.includes('abc123'))).to.equal(false);
    });

    it('counts tokens issued by grant type and API, introspection results, sign-ins and refresh-token reuse', async () => {
      const cc = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
      expect((await oidc.tokenIntrospection(rs, cc.access_token)).active).to.equal(true);
      expect((await oidc.tokenIntrospection(rs, 'not-a-token')).active).to.equal(false);

      // One failed sign-in, then a successful one.
      const start = await startAuthorization(web, { redirectUri: REDIRECT, scope: 'openid offline_access orders:read', resource: ORDERS });
      const browser = new FormBrowser();
      const loginPage = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
      await browser.post(new URL(formAction(loginPage.body, '/login'), loginPage.url).toString(), {
        csrf: hiddenField(loginPage.body, 'csrf'),
        login: 'alice',
        password: 'wrong password',
      });
      const { callback } = await signIn(browser, start.url, REDIRECT, { password: PASSWORD });
      const tokens = await oidc.authorizationCodeGrant(web, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      const refreshed = await oidc.refreshTokenGrant(web, tokens.refresh_token!);
      expect(refreshed.access_token).to.be.a('string');
      // Reuse of the rotated refresh token: refused, and the grant revoked (grace 0).
      const reuse = await oidc.refreshTokenGrant(web, tokens.refresh_token!).catch((e: unknown) => e);
      expect((reuse as oidc.ResponseBodyError).error).to.equal('invalid_grant');

      const samples = await scrape(`${server.issuer}/metrics`);
      const issued = (labels: Record<string, string>) => metricValue(samples, 'gatehouse_tokens_issued_total', labels);
      expect(issued({ type: 'access_token', grant_type: 'client_credentials', api: ORDERS })).to.be.at.least(2);
      expect(issued({ type: 'access_token', grant_type: 'authorization_code', api: ORDERS })).to.equal(1);
      expect(issued({ type: 'access_token', grant_type: 'refresh_token', api: ORDERS })).to.equal(1);
      expect(issued({ type: 'refresh_token', grant_type: 'authorization_code' })).to.equal(1);
      expect(issued({ type: 'refresh_token', grant_type: 'refresh_token' })).to.equal(1);
      expect(metricValue(samples, 'gatehouse_token_requests_total', { grant_type: 'refresh_token', result: 'invalid_grant' })).to.equal(1);
      expect(metricValue(samples, 'gatehouse_introspections_total', { result: 'active' })).to.equal(1);
      expect(metricValue(samples, 'gatehouse_introspections_total', { result: 'inactive' })).to.equal(1);
      expect(metricValue(samples, 'gatehouse_logins_total', { outcome: 'failure' })).to.equal(1);
      expect(metricValue(samples, 'gatehouse_logins_total', { outcome: 'success' })).to.equal(1);
      expect(metricValue(samples, 'gatehouse_login_failures_top_source')).to.equal(1);
      expect(metricValue(samples, 'gatehouse_token_reuse_total', { token_type: 'refresh_token', grant_revoked: 'true' })).to.equal(1);
    });

    it('counts every rate-limit hit, by limiter and busiest source (the audit log keeps the first of a window)', async () => {
      const limited = await startTestServer({ env: { RATE_LIMIT_TOKEN_PER_IP: '1/1m', METRICS_TOKEN: TOKEN }, testDatabase: server.testDatabase });
      try {
        let refused = 0;
        for (let i = 0; i < 4; i += 1) {
          const answer = await fetch(`${limited.issuer}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
          if (answer.status === 429) refused += 1;
        }
        // At least 3 (a shared Redis may already hold this address's count from another server of the suite).
        expect(refused).to.be.at.least(3);
        const samples = await scrape(`${limited.issuer}/metrics`);
        expect(metricValue(samples, 'gatehouse_rate_limit_hits_total', { limiter: 'token-ip' })).to.equal(refused);
        expect(metricValue(samples, 'gatehouse_rate_limit_hits_top_source')).to.equal(refused);
        await limited.core.audit.flush();
        const events = await limited.core.repositories.audit.query({ type: 'rate_limited', limit: 10 });
        expect(events).to.have.length(1);
      } finally {
        await limited.stop();
      }
    });

    it('reports the database pool, query latency, signing-key ages and process metrics', async () => {
      const samples = await scrape(`${server.issuer}/metrics`);
      expect(metricValue(samples, 'gatehouse_db_pool_max_connections')).to.be.at.least(2);
      expect(samples.some((s) => s.name === 'gatehouse_db_pool_connections' && s.labels.state === 'used')).to.equal(true);
      expect(metricValue(samples, 'gatehouse_db_query_duration_seconds_count', { operation: 'select', outcome: 'ok' })).to.be.greaterThan(0);
      const keys = samples.filter((s) => s.name === 'gatehouse_signing_key_age_seconds');
      const records = server.core.keyRing.keys.records;
      expect(keys.map((k) => k.labels.kid)).to.have.members(records.map((r) => r.kid));
      for (const key of keys) expect(key.value).to.be.at.least(0);
      expect(metricValue(samples, 'process_cpu_user_seconds_total')).to.be.greaterThan(0);
      expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).to.equal(true);
    });
  });

  describe('on a separate port', () => {
    let first: TestServer;
    let second: TestServer;

    before(async () => {
      first = await startTestServer({ env: { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' } });
      second = await startTestServer({ env: {} });
    });

    after(async () => {
      await first?.stop();
      await second?.stop();
    });

    it('serves /metrics only there, and keeps one registry per app', async () => {
      const metricsPort = first.running.metricsPort;
      expect(metricsPort).to.be.a('number');
      expect((await fetch(`${first.issuer}/metrics`)).status).to.equal(404);
      // Without METRICS_PORT or METRICS_TOKEN, metrics are not exposed at all.
      expect((await fetch(`${second.issuer}/metrics`)).status).to.equal(404);

      for (let i = 0; i < 3; i += 1) await fetch(`${first.issuer}/.well-known/openid-configuration`);
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(response.status).to.equal(200);
      const samples = parseMetrics(await response.text());
      expect(metricValue(samples, 'gatehouse_http_requests_total', { route: 'discovery', status: '200' })).to.equal(3);
      // The other app's registry saw none of these.
      expect(metricValue(parseMetrics(await second.running.gatehouse.metrics.registry.metrics()), 'gatehouse_http_requests_total', { route: 'discovery' })).to.equal(0);
    });
  });
});
