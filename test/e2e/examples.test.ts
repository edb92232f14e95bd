// The examples work against a running Gatehouse: the web app signs a user in (code + PKCE), shows
// the ID token claims, calls the example API, refreshes and signs out; the API accepts only
// Gatehouse access tokens for its audience with the right scope, locally (JWKS) or by introspection.
import http from 'node:http';

import { expect } from 'chai';
import type Koa from 'koa';
import * as oidc from 'openid-client';

import { createResourceServer } from '../../examples/resource-server/app.js';
import { createWebApp } from '../../examples/web-app/app.js';
import { FormBrowser, hiddenField } from '../helpers/browser.js';
import { accessTokenHash, dpopKey, dpopProof } from '../helpers/dpop.js';
import { createApi, createMachineClient, createResourceServerClient, createUser, createWebClient, relyingParty, signIn } from '../helpers/fixtures.js';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';
const OTHER_API = 'https://other.example.com';

async function listen(app: Koa, port: number): Promise<http.Server> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('examples: resource server and web app against Gatehouse', function () {
  this.timeout(60_000);
  let gatehouse: TestServer;
  const servers: http.Server[] = [];
  let apiUrl: string;
  let introspectingApiUrl: string;
  let webUrl: string;
  let worker: oidc.Configuration;
  let webClientId: string;

  before(async () => {
    gatehouse = await startTestServer();
    await createApi(gatehouse.core, API, ['orders:read', 'orders:write']);
    await createApi(gatehouse.core, OTHER_API, ['other:read']);
    await createUser(gatehouse.core, 'alice');
    const rsClient = await createResourceServerClient(gatehouse.core, API);
    const machine = await createMachineClient(gatehouse.core, [API, OTHER_API]);
    worker = await relyingParty(gatehouse.issuer, machine.clientId, machine.clientSecret);

    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    servers.push(await listen(createResourceServer({ issuer: gatehouse.issuer, audience: API, mode: 'jwks' }), apiPort));
    const introspectingPort = await freePort();
    introspectingApiUrl = `http://127.0.0.1:${introspectingPort}`;
    servers.push(
      await listen(createResourceServer({ issuer: gatehouse.issuer, audience: API, mode: 'introspection', introspectionClient: rsClient }), introspectingPort),
    );

    const webPort = await freePort();
    webUrl = `http://127.0.0.1:${webPort}`;
    const web = await createWebClient(gatehouse.core, { redirectUri: `${webUrl}/callback`, postLogoutRedirectUri: `${webUrl}/`, apis: [API] });
    webClientId = web.clientId;
    servers.push(
      await listen(
        createWebApp({ issuer: gatehouse.issuer, clientId: web.clientId, clientSecret: web.clientSecret!, baseUrl: webUrl, apiUrl, apiIdentifier: API }),
        webPort,
      ),
    );
  });

  after(async () => {
    for (const server of servers) server.close();
    await gatehouse?.stop();
  });

  it('web app: signs in with code + PKCE, shows claims, calls the API, refreshes, and signs out', async () => {
    const browser = new FormBrowser();
    const login = await browser.get(`${webUrl}/login`);
    expect(login.status).to.equal(302);
    const authorization = new URL(login.location!);
    expect(authorization.origin).to.equal(gatehouse.issuer);
    expect(authorization.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorization.searchParams.get('resource')).to.equal(API);

    const { callback } = await signIn(browser, authorization, `${webUrl}/callback`);
    const afterCallback = await browser.get(callback.toString());
    expect(afterCallback.location).to.equal('/');
    let home = await browser.get(`${webUrl}/`);
    expect(home.body).to.include('Signed in.');
    const alice = (await gatehouse.core.users.list()).find((u) => u.username === 'alice')!;
    expect(home.body).to.include(`<strong id="subject">${alice.id}</strong>`);
    expect(home.body).to.include('&#34;email&#34;: &#34;alice@example.com&#34;');
    const firstTokenId = /id="access-token-id">([^<]+)</.exec(home.body)![1];

    await browser.get(`${webUrl}/call-api`);
    home = await browser.get(`${webUrl}/`);
    expect(home.body).to.include('<span id="api-status">200</span>');
    expect(home.body).to.include('Coffee beans');

    await browser.post(`${webUrl}/refresh`, { csrf: hiddenField(home.body, 'csrf') });
    home = await browser.get(`${webUrl}/`);
    expect(home.body).to.include('Tokens refreshed.');
    const secondTokenId = /id="access-token-id">([^<]+)</.exec(home.body)![1];
    expect(secondTokenId).to.not.equal(firstTokenId);
    await browser.get(`${webUrl}/call-api`);
    expect((await browser.get(`${webUrl}/`)).body).to.include('<span id="api-status">200</span>');

    const logout = await browser.post(`${webUrl}/logout`, { csrf: hiddenField((await browser.get(`${webUrl}/`)).body, 'csrf') });
    const endSession = new URL(logout.location!);
    expect(endSession.pathname).to.equal('/session/end');
    const confirm = await browser.get(endSession.toString());
    expect(confirm.body).to.include('name="xsrf"');
    const done = await browser.follow(await browser.post(`${gatehouse.issuer}/session/end/confirm`, { xsrf: hiddenField(confirm.body, 'xsrf'), logout: 'yes' }), `${webUrl}/`);
    expect(done.url).to.equal(`${webUrl}/`);
    home = await browser.get(`${webUrl}/`);
    expect(home.body).to.include('You are not signed in.');
    // The Gatehouse session is over too: signing in again asks for the password.
    const again = await browser.follow(await browser.get(new URL((await browser.get(`${webUrl}/login`)).location!).toString()), `${webUrl}/callback`);
    expect(again.body).to.include('name="password"');
  });

  it('resource server: 401 without or with a bad token, 403 without the route scope', async () => {
    const none = await fetch(`${apiUrl}/orders`);
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer realm=/);
    const garbage = await fetch(`${apiUrl}/orders`, { headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(garbage.status).to.equal(401);
    expect(garbage.headers.get('www-authenticate')).to.include('error="invalid_token"');

    const read = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: API });
    expect((await fetch(`${apiUrl}/orders`, { headers: { authorization: `Bearer ${read.access_token}` } })).status).to.equal(200);
    const write = await fetch(`${apiUrl}/orders`, { method: 'POST', headers: { authorization: `Bearer ${read.access_token}` } });
    expect(write.status).to.equal(403);
    expect(write.headers.get('www-authenticate')).to.include('error="insufficient_scope"');
    const writer = await oidc.clientCredentialsGrant(worker, { scope: 'orders:write', resource: API });
    expect((await fetch(`${apiUrl}/orders`, { method: 'POST', headers: { authorization: `Bearer ${writer.access_token}` } })).status).to.equal(201);

    // A token for another API (wrong audience) is refused.
    const other = await oidc.clientCredentialsGrant(worker, { scope: 'other:read', resource: OTHER_API });
    expect((await fetch(`${apiUrl}/whoami`, { headers: { authorization: `Bearer ${other.access_token}` } })).status).to.equal(401);
  });

  it('resource server: refuses an ID token (typ is not at+jwt)', async () => {
    const web = await createWebClient(gatehouse.core, { redirectUri: 'http://127.0.0.1:8089/cb', apis: [API] });
    const app = await relyingParty(gatehouse.issuer, web.clientId, web.clientSecret);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(app, {
      redirect_uri: 'http://127.0.0.1:8089/cb',
      scope: 'openid orders:read',
      resource: API,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
      nonce: 'n',
    });
    const { callback } = await signIn(new FormBrowser(), url, 'http://127.0.0.1:8089/cb');
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: 's', expectedNonce: 'n' });
    expect((await fetch(`${apiUrl}/whoami`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).to.equal(200);
    expect((await fetch(`${apiUrl}/whoami`, { headers: { authorization: `Bearer ${tokens.id_token!}` } })).status).to.equal(401);
  });

  it('resource server in introspection mode sees a revocation that local validation cannot', async () => {
    const token = (await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: API })).access_token;
    const call = (base: string) => fetch(`${base}/orders`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await call(introspectingApiUrl)).to.equal(200);
    await oidc.tokenRevocation(worker, token);
    expect(await call(introspectingApiUrl)).to.equal(401);
    // The JWKS-validating API still accepts it until it expires: why access tokens are short-lived.
    expect(await call(apiUrl)).to.equal(200);
  });

  it('resource server: a DPoP-bound token needs the DPoP scheme and a fresh proof, in both modes', async () => {
    const machine = await createMachineClient(gatehouse.core, [API], 'orders:read');
    const key = await dpopKey();
    const tokenUrl = `${gatehouse.issuer}/token`;
    const answer = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await dpopProof(key, 'POST', tokenUrl),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'orders:read' }),
    });
    const token = ((await answer.json()) as { access_token: string }).access_token;
    const ath = accessTokenHash(token);
    for (const base of [apiUrl, introspectingApiUrl]) {
      const url = `${base}/orders`;
      const asBearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(asBearer.status, base).to.equal(401);
      expect(asBearer.headers.get('www-authenticate')).to.match(/^DPoP .*error="invalid_token"/);
      const proof = await dpopProof(key, 'GET', url, { ath });
      const call = (scheme: string, dpop: string) => fetch(`${url}?page=1`, { headers: { authorization: `${scheme} ${token}`, dpop } });
      expect((await call('dpop', proof)).status, base).to.equal(200);
      const replay = await call('DPoP', proof);
      expect(replay.status, base).to.equal(401);
      expect(replay.headers.get('www-authenticate')).to.include('error="invalid_dpop_proof"');
      // A proof for another URL, without ath, or from another key is refused.
      expect((await call('DPoP', await dpopProof(key, 'GET', `${base}/whoami`, { ath }))).status).to.equal(401);
      expect((await call('DPoP', await dpopProof(key, 'GET', url))).status).to.equal(401);
      expect((await call('DPoP', await dpopProof(await dpopKey(), 'GET', url, { ath }))).status).to.equal(401);
    }
  });

  it('resource server: 503 (not 401) while Gatehouse cannot be reached, and discovery is retried', async () => {
    const read = (await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: API })).access_token;
    const downPort = await freePort();
    const downIssuer = `http://127.0.0.1:${downPort}`;
    const rsClient = await createResourceServerClient(gatehouse.core, API);
    for (const mode of ['jwks', 'introspection'] as const) {
      const port = await freePort();
      const server = await listen(createResourceServer({ issuer: downIssuer, audience: API, mode, introspectionClient: rsClient }), port);
      servers.push(server);
      const response = await fetch(`http://127.0.0.1:${port}/orders`, { headers: { authorization: `Bearer ${read}` } });
      expect(response.status, mode).to.equal(503);
    }
    // The issuer comes up (serving Gatehouse's keys): the API now fetches discovery and checks the token.
    const jwksUri = (await (await fetch(`${gatehouse.issuer}/.well-known/openid-configuration`)).json() as { jwks_uri: string }).jwks_uri;
    const port = await freePort();
    servers.push(await listen(createResourceServer({ issuer: downIssuer, audience: API, mode: 'jwks' }), port));
    const call = () => fetch(`http://127.0.0.1:${port}/orders`, { headers: { authorization: `Bearer ${read}` } }).then((r) => r.status);
    expect(await call()).to.equal(503);
    const fakeIssuer = http.createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ jwks_uri: jwksUri })));
    await new Promise<void>((resolve) => fakeIssuer.listen(downPort, '127.0.0.1', resolve));
    servers.push(fakeIssuer);
    // Signature checked against the real keys; refused only because the issuer differs.
    expect(await call()).to.equal(401);
  });

  it('web app: renews the session id at sign-in, and stores no session for a cookieless visit', async () => {
    const visit = await fetch(`${webUrl}/`);
    expect(visit.headers.getSetCookie()).to.deep.equal([]);
    const browser = new FormBrowser();
    const login = await browser.get(`${webUrl}/login`);
    const before = browser.cookieHistory.map((c) => `${c.name}=${c.value}`).join('; ');
    const { callback } = await signIn(browser, new URL(login.location!), `${webUrl}/callback`);
    await browser.get(callback.toString());
    expect((await browser.get(`${webUrl}/`)).body).to.include('Signed in.');
    // Whoever knew (or planted) the cookie from before sign-in is not signed in with it.
    const planted = new FormBrowser({ cookie: before });
    expect((await planted.get(`${webUrl}/`)).body).to.include('You are not signed in.');
  });

  it('web app: a refused refresh signs the user out; Deny, a wrong iss or an error at the callback is a 400 page', async () => {
    const browser = new FormBrowser();
    const { callback } = await signIn(browser, new URL((await browser.get(`${webUrl}/login`)).location!), `${webUrl}/callback`);
    await browser.get(callback.toString());
    let home = await browser.get(`${webUrl}/`);
    expect(home.body).to.include('Signed in.');
    const alice = (await gatehouse.core.users.list()).find((u) => u.username === 'alice')!;
    await gatehouse.core.userAccess.revokeClient(alice.id, webClientId); // the user's "Revoke access"
    const refresh = await browser.post(`${webUrl}/refresh`, { csrf: hiddenField(home.body, 'csrf') });
    expect(refresh.status).to.equal(302);
    home = await browser.get(new URL(refresh.location!, webUrl).toString());
    expect(home.status).to.equal(200);
    expect(home.body).to.include('You are not signed in.');
    expect(home.body).to.include('Your sign-in has ended');

    // Consent was forgotten with the revocation: this time the user chooses Deny.
    const denied = await signIn(browser, new URL((await browser.get(`${webUrl}/login`)).location!), `${webUrl}/callback`, { consent: 'deny' });
    expect(denied.callback.searchParams.get('error')).to.equal('access_denied');
    const deniedPage = await browser.get(denied.callback.toString());
    expect(deniedPage.status).to.equal(400);
    expect(deniedPage.body).to.include('Sign-in did not complete');

    const state = async () => new URL((await browser.get(`${webUrl}/login`)).location!).searchParams.get('state')!;
    const wrongIss = await browser.get(`${webUrl}/callback?${new URLSearchParams({ code: 'x', state: await state(), iss: 'https://evil.example' })}`);
    expect(wrongIss.status).to.equal(400);
    const crafted = await browser.get(
      `${webUrl}/callback?${new URLSearchParams({ error: 'access_denied', error_description: '<script>alert(1)</script>', state: await state(), iss: gatehouse.issuer })}`,
    );
    expect(crafted.status).to.equal(400);
    expect(crafted.body).to.include('&#60;script&#62;').and.not.include('<script>');
  });

  it('web app: discovery is retried after the issuer was down', async () => {
    const issuerPort = await freePort();
    const issuer = `http://127.0.0.1:${issuerPort}`;
    const port = await freePort();
    servers.push(await listen(createWebApp({ issuer, clientId: 'c', clientSecret: 's', baseUrl: `http://127.0.0.1:${port}`, apiUrl, apiIdentifier: API }), port));
    expect((await fetch(`http://127.0.0.1:${port}/login`, { redirect: 'manual' })).status).to.equal(500);
    const metadata = { issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token` };
    const fakeIssuer = http.createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(metadata)));
    await new Promise<void>((resolve) => fakeIssuer.listen(issuerPort, '127.0.0.1', resolve));
    servers.push(fakeIssuer);
    const login = await fetch(`http://127.0.0.1:${port}/login`, { redirect: 'manual' });
    expect(login.status).to.equal(302);
    expect(login.headers.get('location')).to.match(new RegExp(`^${issuer}/auth\\?`));
  });
});
