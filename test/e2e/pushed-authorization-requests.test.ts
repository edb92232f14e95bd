// Pushed Authorization Requests (RFC 9126): open to every client, required for clients registered
// with requirePushedAuthorizationRequests; a request_uri is short-lived, bound to the client that
// pushed it, and good for one authorization response.
import { expect } from 'chai';
import * as oidc from 'openid-client';

import { FormBrowser } from '../helpers/browser.js';
import { createApi, createUser, createWebClient, relyingParty, signIn } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

describe('pushed authorization requests (RFC 9126)', () => {
  let server: TestServer;
  let app: oidc.Configuration;
  let other: oidc.Configuration;
  let strict: oidc.Configuration;
  let webSecret: string;

  const push = async (config: oidc.Configuration, extra: Record<string, string> = {}) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT,
      scope: 'openid orders:read',
      resource: API,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    });
    return { url, verifier, state, requestUri: url.searchParams.get('request_uri')! };
  };

  const authorizeUrl = (clientId: string, requestUri: string) => {
    const url = new URL(`${server.issuer}/auth`);
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('request_uri', requestUri);
    return url;
  };

  before(async () => {
    server = await startTestServer();
    await createApi(server.core, API, ['orders:read']);
    await createUser(server.core, 'alice');
    const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API] });
    app = await relyingParty(server.issuer, web.clientId, web.clientSecret);
    webSecret = web.clientSecret!;
    const second = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API], name: 'Other App' });
    other = await relyingParty(server.issuer, second.clientId, second.clientSecret);
    const { client, clientSecret } = await server.core.clients.create({
      name: 'Strict App',
      redirectUris: [REDIRECT],
      apis: [API],
      requirePushedAuthorizationRequests: true,
    });
    strict = await relyingParty(server.issuer, client.clientId, clientSecret);
  });

  after(async () => server?.stop());

  it('advertises the endpoint, without requiring it of every client', () => {
    const metadata = app.serverMetadata();
    expect(metadata.pushed_authorization_request_endpoint).to.equal(`${server.issuer}/request`);
    expect(metadata.require_pushed_authorization_requests).to.equal(undefined);
  });

  it('accepts a pushed request from any client and completes the code flow with its request_uri', async () => {
    const pushed = await push(app);
    expect(pushed.requestUri).to.match(/^urn:ietf:params:oauth:request_uri:/);
    const { callback } = await signIn(new FormBrowser(), pushed.url, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: pushed.verifier, expectedState: pushed.state });
    expect(tokens.access_token).to.be.a('string');
  });

  it('answers with a lifetime of at most 60 seconds', async () => {
    const response = await fetch(`${server.issuer}/request`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${app.clientMetadata().client_id}:${webSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        client_id: app.clientMetadata().client_id,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }),
    });
    expect(response.status).to.equal(201);
    const body = (await response.json()) as { expires_in: number; request_uri: string };
    expect(body.expires_in).to.be.within(1, 60);
  });

  it('refuses a pushed request without client authentication', async () => {
    const response = await fetch(`${server.issuer}/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: app.clientMetadata().client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid' }),
    });
    expect(response.status).to.equal(401);
    expect(((await response.json()) as { error: string }).error).to.equal('invalid_client');
  });

  it('makes a request_uri single-use: after the authorization response it is refused', async () => {
    const pushed = await push(app);
    const browser = new FormBrowser();
    await signIn(browser, pushed.url, REDIRECT);
    const again = await browser.follow(await browser.get(pushed.url.toString()), REDIRECT);
    expect(again.url.startsWith(REDIRECT)).to.equal(false);
    expect(again.body).to.include('invalid_request_uri');
  });

  it('binds a request_uri to the client that pushed it', async () => {
    const pushed = await push(app);
    const browser = new FormBrowser();
    const page = await browser.follow(await browser.get(authorizeUrl(other.clientMetadata().client_id, pushed.requestUri).toString()), REDIRECT);
    expect(page.url.startsWith(REDIRECT)).to.equal(false);
    expect(page.body).to.match(/invalid_request_uri|invalid_request/);
  });

  it('refuses an expired request_uri', async () => {
    const pushed = await push(app);
    await server.core.database.knex('oidc_models').where({ model: 'PushedAuthorizationRequest' }).update({ expires_at: new Date(Date.now() - 1000) });
    const browser = new FormBrowser();
    const page = await browser.follow(await browser.get(pushed.url.toString()), REDIRECT);
    expect(page.url.startsWith(REDIRECT)).to.equal(false);
    expect(page.body).to.include('invalid_request_uri');
  });

  it('refuses a made-up request_uri', async () => {
    const browser = new FormBrowser();
    const page = await browser.get(authorizeUrl(app.clientMetadata().client_id, 'urn:ietf:params:oauth:request_uri:nope').toString());
    expect(page.body).to.include('invalid_request_uri');
  });

  it('requires pushed requests of a client registered with requirePushedAuthorizationRequests', async () => {
    const plain = oidc.buildAuthorizationUrl(strict, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const browser = new FormBrowser();
    const refused = await browser.follow(await browser.get(plain.toString()), REDIRECT);
    const error = refused.url.startsWith(REDIRECT) ? new URL(refused.url).searchParams.get('error') : refused.body;
    expect(error).to.include('invalid_request');

    const pushed = await push(strict);
    const { callback } = await signIn(new FormBrowser(), pushed.url, REDIRECT);
    expect(callback.searchParams.get('code')).to.be.a('string');
    const shown = await server.core.clients.show(strict.clientMetadata().client_id);
    expect(shown.metadata.require_pushed_authorization_requests).to.equal(true);
  });
});
