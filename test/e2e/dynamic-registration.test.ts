// Dynamic client registration (RFC 7591) and management (RFC 7592): off by default; open; or with
// initial access tokens. Metadata passes the admin API's rules (invalid_redirect_uri /
// invalid_client_metadata); secrets are stored only as hashes and never read back; registered
// clients are marked and their consent page says the operator has not verified them.
import net from 'node:net';

import { expect } from 'chai';
import * as oidc from 'openid-client';

import { cli } from '../helpers/cli.js';
import { FormBrowser } from '../helpers/browser.js';
import { createApi, createUser, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { TEST_SECRETS } from '../helpers/test-config.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type Json = Record<string, unknown>;
const ORDERS = 'https://orders.example.com';
const INTERNAL = 'https://internal.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

async function register(server: TestServer, metadata: Json, token?: string) {
  const response = await fetch(`${server.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(metadata),
  });
  return { status: response.status, headers: response.headers, body: (await response.json().catch(() => ({}))) as Json };
}

async function manage(url: string, token: string, method: 'GET' | 'PUT' | 'DELETE', body?: Json) {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json };
}

const webMetadata = (extra: Json = {}): Json => ({
  client_name: 'Self-registered app',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'openid profile offline_access orders:read',
  ...extra,
});

describe('dynamic client registration', function () {
  this.timeout(60_000);

  describe('when not configured', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => server?.stop());

    it('is off: no registration endpoint in discovery, and /reg is not there', async () => {
      const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Json;
      expect(discovery).to.not.have.property('registration_endpoint');
      const response = await register(server, webMetadata());
      expect(response.status).to.equal(404);
      expect((await server.core.clients.listPage({ limit: 50 }, { dynamic: true })).items).to.have.length(0);
    });
  });

  describe('open registration', () => {
    let server: TestServer;
    const clientCount = async () => (await server.core.clients.listPage({ limit: 200 })).items.length;

    before(async () => {
      server = await startTestServer({ env: { DYNAMIC_REGISTRATION: 'open' } });
      await server.core.apis.create({ identifier: ORDERS, scopes: [{ name: 'orders:read', description: 'Read your orders' }, { name: 'orders:write' }], allowDynamicClients: true });
      await createApi(server.core, INTERNAL, ['internal:admin']);
      await createUser(server.core, 'alice');
    });
    after(async () => server?.stop());

    it('advertises the registration endpoint', async () => {
      const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Json;
      expect(discovery.registration_endpoint).to.equal(`${server.issuer}/reg`);
    });

    it('registers a client, returns its secret once, and stores only its hash, marked dynamic', async () => {
      const response = await register(server, webMetadata({ client_id: 'chosen-by-me', client_secret: 'chosen-by-me', unknown_field: 'ignored' }));
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      const body = response.body;
      expect(body.client_id).to.be.a('string').and.not.equal('chosen-by-me');
      expect(body.client_secret).to.be.a('string').and.not.equal('chosen-by-me');
      expect(Buffer.from(String(body.client_secret), 'base64url')).to.have.length(32);
      expect(body).to.include({ client_secret_expires_at: 0, scope: 'openid profile offline_access orders:read', token_endpoint_auth_method: 'client_secret_basic' });
      expect(body.registration_access_token).to.be.a('string');
      expect(body.registration_client_uri).to.equal(`${server.issuer}/reg/${String(body.client_id)}`);
      expect(body).to.not.have.property('unknown_field');
      expect(body).to.not.have.property('gatehouse_api_scopes');

      const stored = await server.core.clients.show(String(body.client_id));
      expect(stored).to.include({ dynamic: true, isAdmin: false, name: 'Self-registered app' });
      expect(stored.apis).to.deep.equal([ORDERS]);
      expect(stored.secretHashes.map((s) => s.hash)).to.deep.equal([server.core.hasher.hash(String(body.client_secret))]);
      const { knex } = server.testDatabase.database;
      const everything = JSON.stringify([await knex('clients').select('*'), await knex('client_secrets').select('*'), await knex('oidc_models').select('*')]);
      expect(everything).to.not.include(String(body.client_secret));
      expect(stored.metadata).to.not.have.any.keys('client_secret', 'unknown_field');
    });

    it('lets the registered client sign a user in; the consent page says it is not verified by the operator', async () => {
      const { body } = await register(server, webMetadata());
      const rp = await relyingParty(server.issuer, String(body.client_id), String(body.client_secret));
      const start = await startAuthorization(rp, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: ORDERS });
      const { callback, pages } = await signIn(new FormBrowser(), start.url, REDIRECT);
      const consent = pages.find((p) => p.body.includes('/confirm'))!;
      expect(consent.body).to.include('the operator of this service has not verified it');
      expect(consent.body).to.include('Self-registered app');
      const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      expect(tokens.scope).to.include('orders:read');
    });

    it('registers a public native client without a secret', async () => {
      const { status, body } = await register(server, { client_name: 'Phone app', redirect_uris: ['com.example.app:/callback'], token_endpoint_auth_method: 'none', scope: 'openid' });
      expect(status, JSON.stringify(body)).to.equal(201);
      expect(body).to.not.have.property('client_secret');
      expect(body).to.include({ application_type: 'native', token_endpoint_auth_method: 'none', scope: 'openid' });
      expect((await server.core.clients.show(String(body.client_id))).secretHashes).to.deep.equal([]);
    });

    it('refuses bad metadata of each kind with invalid_redirect_uri or invalid_client_metadata, writing nothing', async () => {
      const before = await clientCount();
      const cases: [Json, string][] = [
        [{ redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri'],
        [{ redirect_uris: ['https://app.example.com/cb#fragment'] }, 'invalid_redirect_uri'],
        [{ redirect_uris: ['https://*.example.com/cb'] }, 'invalid_redirect_uri'],
        [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
        [{ redirect_uris: ['data:text/html,<script>alert(1)</script>'] }, 'invalid_redirect_uri'],
        [{ redirect_uris: [] }, 'invalid_redirect_uri'],
        [{ redirect_uris: 'https://app.example.com/cb' }, 'invalid_redirect_uri'],
        [{ post_logout_redirect_uris: ['http://app.example.com/bye'] }, 'invalid_client_metadata'],
        [{ logo_uri: 'http://app.example.com/logo.png' }, 'invalid_client_metadata'],
        [{ policy_uri: 'javascript:alert(1)' }, 'invalid_client_metadata'],
        [{ tos_uri: 'ftp://app.example.com/tos' }, 'invalid_client_metadata'],
        [{ client_uri: 'http://app.example.com' }, 'invalid_client_metadata'],
        [{ grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
        [{ response_types: [] }, 'invalid_client_metadata'],
        [{ grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
        [{ grant_types: ['implicit'], response_types: ['token'] }, 'invalid_client_metadata'],
        [{ grant_types: ['refresh_token'] }, 'invalid_client_metadata'],
        [{ token_endpoint_auth_method: 'client_secret_jwt' }, 'invalid_client_metadata'],
        [{ token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
        [{ jwks: { keys: [] } }, 'invalid_client_metadata'],
        [{ scope: 'openid orders:delete' }, 'invalid_client_metadata'],
        [{ scope: 'openid internal:admin' }, 'invalid_client_metadata'],
        [{ scope: 'openid "quoted"' }, 'invalid_client_metadata'],
        [{ contacts: ['not an email'] }, 'invalid_client_metadata'],
      ];
      for (const [change, error] of cases) {
        const response = await register(server, webMetadata(change));
        expect(response.status, JSON.stringify(change)).to.equal(400);
        expect(response.body.error, `${JSON.stringify(change)}: ${String(response.body.error_description)}`).to.equal(error);
        expect(response.body.error_description).to.be.a('string');
      }
      expect(await clientCount()).to.equal(before);
    });

    it('sends no request to an address of its own choosing for a client nobody verified (no server-side request forgery)', async () => {
      const before = await clientCount();
      let connections = 0;
      const listener = net.createServer((socket) => {
        connections += 1;
        socket.destroy();
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', () => resolve()));
      const port = (listener.address() as net.AddressInfo).port;
      try {
        const cases: Json[] = [
          { sector_identifier_uri: `https://127.0.0.1:${port}/sector` },
          { sector_identifier_uri: 'https://app.example.com/sector.json' },
          { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `https://127.0.0.1:${port}/jwks` },
          { backchannel_logout_uri: `https://127.0.0.1:${port}/logout` },
          { backchannel_logout_uri: 'https://[::1]/logout' },
          { backchannel_logout_uri: 'https://[::ffff:7f00:1]/logout' },
          { backchannel_logout_uri: 'https://10.1.2.3/logout' },
          { backchannel_logout_uri: 'https://169.254.169.254/latest/meta-data' },
          { backchannel_logout_uri: 'https://localhost/logout' },
        ];
        for (const change of cases) {
          const response = await register(server, webMetadata(change));
          expect(response.status, JSON.stringify(change)).to.equal(400);
          expect(response.body.error, JSON.stringify(change)).to.equal('invalid_client_metadata');
        }
        expect(connections).to.equal(0);
        expect(await clientCount()).to.equal(before);
        // A public host is fine.
        expect((await register(server, webMetadata({ backchannel_logout_uri: 'https://app.example.com/logout' }))).status).to.equal(201);
      } finally {
        listener.close();
      }
    });

    it('RFC 7592: of concurrent updates with one registration access token, one rotates it; no other token stays valid', async () => {
      const { body: registered } = await register(server, webMetadata());
      const uri = String(registered.registration_client_uri);
      const rat = String(registered.registration_access_token);
      const { registration_access_token: _rat, registration_client_uri: _uri, client_secret_expires_at: _exp, client_id_issued_at: _iat, ...current } = (await manage(uri, rat, 'GET')).body;
      const answers = await Promise.all(Array.from({ length: 10 }, () => manage(uri, rat, 'PUT', { ...current, client_secret: String(registered.client_secret) })));
      const issued = answers.filter((a) => a.status === 200).map((a) => String(a.body.registration_access_token));
      expect(issued).to.have.length(1);
      expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 401)).to.equal(true);
      const valid = await Promise.all(answers.map((a) => a.body.registration_access_token).filter(Boolean).map(async (token) => (await manage(uri, String(token), 'GET')).status));
      expect(valid).to.deep.equal([200]);
    });

    it('RFC 7592: reads its registration without any secret, updates it, and deletes it', async () => {
      const { body: registered } = await register(server, webMetadata());
      const uri = String(registered.registration_client_uri);
      const secret = String(registered.client_secret);
      const clientId = String(registered.client_id);

      const read = await manage(uri, String(registered.registration_access_token), 'GET');
      expect(read.status).to.equal(200);
      expect(read.body).to.include({ client_id: clientId, client_name: 'Self-registered app', scope: 'openid profile offline_access orders:read' });
      expect(read.body).to.not.have.any.keys('client_secret', 'client_secret_expires_at', 'gatehouse_api_scopes');
      expect(JSON.stringify(read.body)).to.not.include('hmac-sha256').and.not.include(secret);

      const { registration_access_token: rat, registration_client_uri: _uri, client_secret_expires_at: _exp, client_id_issued_at: _iat, ...current } = read.body;
      const updated = await manage(uri, String(rat), 'PUT', { ...current, client_secret: secret, client_name: 'Renamed app', scope: 'openid orders:read orders:write' });
      expect(updated.status, JSON.stringify(updated.body)).to.equal(200);
      expect(updated.body).to.include({ client_name: 'Renamed app', scope: 'openid orders:read orders:write' });
      expect(updated.body).to.not.have.property('client_secret');
      const rotated = String(updated.body.registration_access_token);
      expect(rotated).to.not.equal(rat);
      expect((await manage(uri, String(rat), 'GET')).status).to.equal(401);
      const stored = await server.core.clients.show(clientId);
      expect(stored.name).to.equal('Renamed app');
      expect(stored.secretHashes.map((s) => s.hash)).to.deep.equal([server.core.hasher.hash(secret)]);

      const wrongSecret = await manage(uri, rotated, 'PUT', { ...current, client_secret: 'not-the-secret' });
      expect(wrongSecret.status).to.equal(400);
      expect(wrongSecret.body.error).to.equal('invalid_request');
      const badRedirect = await manage(uri, rotated, 'PUT', { ...current, redirect_uris: ['http://evil.example.com/cb'] });
      expect(badRedirect.status).to.equal(400);
      expect(badRedirect.body.error).to.equal('invalid_redirect_uri');
      expect((await server.core.clients.show(clientId)).name).to.equal('Renamed app');

      const removed = await manage(uri, rotated, 'DELETE');
      expect(removed.status).to.equal(204);
      expect(await server.core.clients.show(clientId).catch((e: Error) => e.message)).to.include('no client');
      const token = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'whatever' }),
      });
      expect(token.status).to.equal(401);
      expect(((await token.json()) as Json).error).to.equal('invalid_client');
      expect((await manage(uri, rotated, 'GET')).status).to.equal(401);
    });

    it('refuses management with another client\'s registration access token', async () => {
      const { body: first } = await register(server, webMetadata());
      const { body: second } = await register(server, webMetadata());
      const response = await manage(String(first.registration_client_uri), String(second.registration_access_token), 'GET');
      expect(response.status).to.equal(401);
      expect(response.body.error).to.equal('invalid_token');
    });

    it('RFC 6750 §3: a management request without a usable registration access token gets a Bearer challenge', async () => {
      const { body: registered } = await register(server, webMetadata());
      const uri = String(registered.registration_client_uri);
      // No token at all, or another scheme: 401 and a bare challenge (§3.1: no error code then).
      for (const authorization of [undefined, 'Basic YTpi', 'DPoP abc']) {
        const response = await fetch(uri, { headers: authorization ? { authorization } : {} });
        expect(response.status, String(authorization)).to.equal(401);
        expect(response.headers.get('www-authenticate'), String(authorization)).to.match(/^Bearer realm="[^"]+"$/);
      }
      // A malformed header: 400 invalid_request, with the challenge saying so.
      const malformed = await fetch(uri, { headers: { authorization: 'Bearer' } });
      expect(malformed.status).to.be.oneOf([400, 401]);
      expect(malformed.headers.get('www-authenticate')).to.match(/^Bearer realm="[^"]+"/);
      // A wrong token: 401 invalid_token in the challenge.
      const wrong = await fetch(uri, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status).to.equal(401);
      expect(wrong.headers.get('www-authenticate')).to.match(/^Bearer realm="[^"]+", error="invalid_token"/);
      // The registration itself still answers.
      expect((await manage(uri, String(registered.registration_access_token), 'GET')).status).to.equal(200);
    });

    it('keeps a registered client off APIs that stop accepting dynamically registered clients', async () => {
      const { body } = await register(server, { client_name: 'Later closed', redirect_uris: [REDIRECT], scope: 'openid orders:read' });
      const rp = await relyingParty(server.issuer, String(body.client_id), String(body.client_secret));
      await server.core.apis.update(ORDERS, { allowDynamicClients: false });
      try {
        const start = await startAuthorization(rp, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: ORDERS });
        const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT);
        expect(callback.searchParams.get('error')).to.equal('invalid_target');
        const refused = await register(server, webMetadata());
        expect(refused.body.error).to.equal('invalid_client_metadata');
      } finally {
        await server.core.apis.update(ORDERS, { allowDynamicClients: true });
      }
    });
  });

  describe('registration with initial access tokens', () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer({ env: { DYNAMIC_REGISTRATION: 'token' } });
      await server.core.apis.create({ identifier: ORDERS, scopes: [{ name: 'orders:read' }], allowDynamicClients: true });
    });
    after(async () => server?.stop());

    it('refuses a registration without a token (bare Bearer challenge) or with a bad one (invalid_token)', async () => {
      const missing = await register(server, webMetadata());
      expect(missing.status).to.equal(401);
      expect(missing.body.error).to.equal('invalid_token');
      expect(missing.headers.get('www-authenticate')).to.equal(`Bearer realm="${server.issuer}"`);
      const bad = await register(server, webMetadata(), 'ghiat_not-a-real-token');
      expect(bad.status).to.equal(401);
      expect(bad.headers.get('www-authenticate')).to.include('error="invalid_token"');
      expect((await server.core.clients.listPage({ limit: 50 }, { dynamic: true })).items).to.have.length(0);
    });

    it('accepts a token up to its number of uses; a failed registration does not use it up', async () => {
      const { token, record } = await server.core.registrationTokens.create({ maxUses: 2 });
      expect((await register(server, webMetadata({ redirect_uris: ['http://evil.example.com'] }), token)).status).to.equal(400);
      expect((await register(server, webMetadata(), token)).status).to.equal(201);
      expect((await register(server, webMetadata(), token)).status).to.equal(201);
      const third = await register(server, webMetadata(), token);
      expect(third.status).to.equal(401);
      expect((await server.core.registrationTokens.show(record.id)).uses).to.equal(2);
    });

    it('lets exactly one of many concurrent registrations use a single-use token', async () => {
      const { token } = await server.core.registrationTokens.create({ maxUses: 1 });
      const results = await Promise.all(Array.from({ length: 6 }, () => register(server, webMetadata(), token)));
      expect(results.filter((r) => r.status === 201)).to.have.length(1);
      expect(results.filter((r) => r.status === 401)).to.have.length(5);
    });

    it('refuses revoked and expired tokens', async () => {
      const revoked = await server.core.registrationTokens.create();
      await server.core.registrationTokens.revoke(revoked.record.id);
      expect((await register(server, webMetadata(), revoked.token)).status).to.equal(401);
      const expired = await server.core.registrationTokens.create({ ttlSeconds: 60 });
      await server.testDatabase.database.knex('registration_tokens').where({ id: expired.record.id }).update({ expires_at: new Date(Date.now() - 1000) });
      expect((await register(server, webMetadata(), expired.token)).status).to.equal(401);
    });

    it('accepts a token issued with `gatehouse registration-tokens create --ttl --uses`', async function () {
      if (!server.testDatabase.url) this.skip(); // the CLI reaches a Postgres server's database; an in-memory one is this process's alone
      const outcome = await cli(['registration-tokens', 'create', '--ttl', '600', '--uses', '1', '--description', 'from the CLI', '--json'], {
        ...TEST_SECRETS,
        NODE_ENV: 'test',
        DATABASE_URL: server.testDatabase.url,
        ISSUER: server.issuer,
        DYNAMIC_REGISTRATION: 'token',
      });
      expect(outcome.code, outcome.stderr).to.equal(0);
      const issued = JSON.parse(outcome.stdout) as Json;
      expect(issued).to.include({ max_uses: 1, uses: 0, active: true });
      expect((await register(server, webMetadata(), String(issued.token))).status).to.equal(201);
      expect((await register(server, webMetadata(), String(issued.token))).status).to.equal(401);
    });
  });
});
