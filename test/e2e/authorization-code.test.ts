// The code flow end to end with openid-client as the app and jose as the API: login and consent
// pages, PKCE, ID token, userinfo, refresh rotation with reuse detection, and every kind of
// revocation reaching introspection.
import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { FormBrowser, formAction, hiddenField } from '../helpers/browser.js';
import {
  PASSWORD,
  createApi,
  createResourceServerClient,
  createUser,
  createWebClient,
  relyingParty,
  signIn,
  startAuthorization,
} from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

describe('authorization code flow with PKCE, refresh tokens and revocation', () => {
  let server: TestServer;
  let app: oidc.Configuration;
  let api: oidc.Configuration;

  const codeFlow = async (browser = new FormBrowser(), scope = 'openid profile email offline_access orders:read', extra: Record<string, string> = {}) => {
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope, resource: API, prompt: scope.includes('offline_access') ? 'consent' : undefined, extra });
    const { callback } = await signIn(browser, start.url, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(app, callback, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    return { tokens, callback, start, browser };
  };

  before(async () => {
    server = await startTestServer();
    await createApi(server.core, API, ['orders:read', 'orders:write']);
    await createUser(server.core, 'alice');
    const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API], postLogoutRedirectUri: 'http://127.0.0.1:8080/bye' });
    app = await relyingParty(server.issuer, web.clientId, web.clientSecret);
    const rs = await createResourceServerClient(server.core, API);
    api = await relyingParty(server.issuer, rs.clientId, rs.clientSecret);
  });

  after(async () => server?.stop());

  it('signs the user in through the login and consent pages and issues verified tokens', async () => {
    const { tokens, callback } = await codeFlow();
    // RFC 9207: the authorization response names the issuer.
    expect(callback.searchParams.get('iss')).to.equal(server.issuer);

    const claims = tokens.claims()!;
    expect(claims.iss).to.equal(server.issuer);
    // Back-Channel Logout §2.1: discovery says sessions are supported, so every ID token names its session.
    expect(claims.sid).to.be.a('string');
    expect(claims.email).to.equal('alice@example.com');

    const jwks = createRemoteJWKSet(new URL(app.serverMetadata().jwks_uri!));
    const idToken = await jwtVerify(tokens.id_token!, jwks, { issuer: server.issuer, audience: app.clientMetadata().client_id });
    expect(idToken.protectedHeader.alg).to.equal('RS256');

    const access = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: API, typ: 'at+jwt', algorithms: ['ES256'] });
    expect(access.payload.sub).to.equal(claims.sub);
    expect(access.payload.scope).to.equal('orders:read');
    expect(access.payload.client_id).to.equal(app.clientMetadata().client_id);
    expect(tokens.refresh_token).to.be.a('string');

    const introspected = await oidc.tokenIntrospection(api, tokens.access_token);
    expect(introspected).to.include({ active: true, sub: claims.sub, scope: 'orders:read', aud: API, token_type: 'Bearer' });
  });

  it('shows the login page with the labelled fields and the consent page with Allow and Deny', async () => {
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:write', resource: API });
    const login = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    expect(login.status).to.equal(200);
    expect(login.body).to.include('Username or email').and.include('Password').and.include('Sign in').and.include('Web App');
    const { pages } = await signIn(browser, start.url, REDIRECT);
    const consent = pages.find((p) => p.body.includes('/confirm'))!;
    expect(consent.body).to.include('Allow').and.include('Deny').and.include('orders:write').and.include('Web App');
  });

  it('answers a wrong password and an unknown user with the same generic message', async () => {
    const bodies: string[] = [];
    for (const login of ['alice', 'nobody-here']) {
      const browser = new FormBrowser();
      const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
      const page = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
      const failed = await browser.post(new URL(formAction(page.body, '/login'), page.url).toString(), {
        csrf: hiddenField(page.body, 'csrf'),
        login,
        password: 'wrong password!',
      });
      expect(failed.status).to.equal(200);
      expect(failed.location).to.equal(undefined);
      expect(failed.body).to.include('Invalid username or password');
      bodies.push(failed.body.replace(/(value|action|nonce)="[^"]*"/g, ''));
    }
    expect(bodies[0]).to.equal(bodies[1]);
  });

  it('refuses a login form posted without its CSRF token', async () => {
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    const page = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    const forged = await browser.post(new URL(formAction(page.body, '/login'), page.url).toString(), { login: 'alice', password: PASSWORD });
    expect(forged.status).to.equal(400);
    expect(forged.location).to.equal(undefined);
  });

  it('returns access_denied with state and iss when the user denies consent', async () => {
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:write', resource: API, prompt: 'consent' });
    const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT, { consent: 'deny' });
    expect(callback.searchParams.get('error')).to.equal('access_denied');
    expect(callback.searchParams.get('state')).to.equal(start.state);
    expect(callback.searchParams.get('iss')).to.equal(server.issuer);
  });

  it('remembers consent: a second sign-in for the same scopes asks only for the password', async () => {
    const browser = new FormBrowser();
    await codeFlow(browser, 'openid orders:read');
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: API });
    const { pages } = await signIn(new FormBrowser(), start.url, REDIRECT);
    expect(pages.some((p) => p.body.includes('/confirm'))).to.equal(false);
  });

  it('serves userinfo with the standard claims of the granted scopes', async () => {
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid profile email' });
    const { callback } = await signIn(browser, start.url, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const sub = tokens.claims()!.sub;
    const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, sub);
    expect(userinfo).to.include({ sub, email: 'alice@example.com', email_verified: true, preferred_username: 'alice', name: 'Alice Example' });
    expect(userinfo).to.not.have.property('phone_number');
  });

  it('rotates refresh tokens, and reuse of a rotated one revokes the whole grant', async () => {
    const { tokens } = await codeFlow();
    const first = tokens.refresh_token!;
    const refreshed = await oidc.refreshTokenGrant(app, first);
    expect(refreshed.refresh_token).to.be.a('string').and.not.equal(first);
    expect((await oidc.tokenIntrospection(api, refreshed.access_token)).active).to.equal(true);
    const introspectedRt = await oidc.tokenIntrospection(app, refreshed.refresh_token!);
    expect(introspectedRt.active).to.equal(true);
    // The rotated one is used up at once, also within the reuse grace window (RFC 7662 §2.2).
    expect(await oidc.tokenIntrospection(app, first)).to.deep.equal({ active: false });

    // Past the grace window, the old refresh token is a stolen one.
    await new Promise((resolve) => setTimeout(resolve, (server.config.refreshTokenReuseGraceSeconds + 1) * 1000));
    const reuse = await oidc.refreshTokenGrant(app, first).catch((e: unknown) => e);
    expect((reuse as oidc.ResponseBodyError).error).to.equal('invalid_grant');

    expect(await oidc.tokenIntrospection(api, refreshed.access_token)).to.deep.equal({ active: false });
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).to.deep.equal({ active: false });
    expect((await oidc.tokenIntrospection(app, refreshed.refresh_token!)).active).to.equal(false);
    const later = await oidc.refreshTokenGrant(app, refreshed.refresh_token!).catch((e: unknown) => e);
    expect((later as oidc.ResponseBodyError).error).to.equal('invalid_grant');
  });

  it('refuses an unknown resource at code exchange and refresh without using up the code or the refresh token', async () => {
    const typo = `${API}/`;
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid offline_access orders:read', resource: API, prompt: 'consent' });
    const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT);
    const checks = { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce };
    const refused = async (attempt: Promise<unknown>) => {
      const error = (await attempt.then(() => undefined, (e: unknown) => e)) as { error?: string } | undefined;
      expect(error?.error).to.equal('invalid_target');
    };
    await refused(oidc.authorizationCodeGrant(app, callback, checks, { resource: typo }));
    // RFC 6749 §3.2: an empty resource is as if none were sent.
    const tokens = await oidc.authorizationCodeGrant(app, callback, checks, { resource: '' });
    await refused(oidc.refreshTokenGrant(app, tokens.refresh_token!, { resource: typo }));
    const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token!);
    expect(refreshed.access_token).to.be.a('string');
    expect(await oidc.tokenIntrospection(api, refreshed.access_token)).to.include({ active: true });
  });

  it('refuses a resource the code or refresh token was not granted for without using either up', async () => {
    const billing = 'https://billing.example.com';
    await createApi(server.core, billing, ['billing:read']);
    const both = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API, billing], name: 'Orders and billing' });
    const client = await relyingParty(server.issuer, both.clientId, both.clientSecret);
    const start = await startAuthorization(client, { redirectUri: REDIRECT, scope: 'openid offline_access orders:read', resource: API, prompt: 'consent' });
    const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT);
    const checks = { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce };
    const refused = async (attempt: Promise<unknown>) => {
      const error = (await attempt.then(() => undefined, (e: unknown) => e)) as { error?: string; error_description?: string } | undefined;
      expect(error?.error).to.equal('invalid_target');
      expect(error?.error_description).to.include('not granted for this resource');
    };
    // A real API the client may use, but not the one the user authorised.
    await refused(oidc.authorizationCodeGrant(client, callback, checks, { resource: billing }));
    // Two APIs at once: one access token is for one API.
    const twoApis = new URLSearchParams([['resource', API], ['resource', billing]]);
    const several = (await oidc.authorizationCodeGrant(client, callback, checks, twoApis).then(() => undefined, (e: unknown) => e)) as { error?: string; error_description?: string };
    expect(several.error).to.equal('invalid_target');
    expect(several.error_description).to.include('one resource per token request');
    const tokens = await oidc.authorizationCodeGrant(client, callback, checks);
    await refused(oidc.refreshTokenGrant(client, tokens.refresh_token!, { resource: billing }));
    const refreshed = await oidc.refreshTokenGrant(client, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(api, refreshed.access_token)).to.include({ active: true });
    // A used code is still oidc-provider's to refuse, as reuse: the grant ends.
    const replay = await oidc.authorizationCodeGrant(client, callback, checks, { resource: billing }).then(() => undefined, (e: unknown) => e);
    expect((replay as { error?: string }).error).to.equal('invalid_grant');
    expect(await oidc.tokenIntrospection(api, refreshed.access_token)).to.deep.equal({ active: false });
  });

  it('answers login_required when someone other than the user id_token_hint names signs in (OIDC Core §3.1.2.1)', async () => {
    await createUser(server.core, 'bob');
    const { tokens: alices } = await codeFlow();
    const hinted = async (browser: FormBrowser, login: string) => {
      const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: API, extra: { id_token_hint: alices.id_token! } });
      const { callback } = await signIn(browser, start.url, REDIRECT, { login });
      return { callback, start };
    };
    // A fresh browser: bob signs in where the client asked for alice.
    const { callback, start } = await hinted(new FormBrowser(), 'bob');
    expect(callback.searchParams.get('error')).to.equal('login_required');
    expect(callback.searchParams.get('state')).to.equal(start.state);
    expect(callback.searchParams.get('iss')).to.equal(server.issuer);
    expect(callback.searchParams.get('code')).to.equal(null);
    // Alice herself gets her code.
    const own = await hinted(new FormBrowser(), 'alice');
    expect(own.callback.searchParams.get('error')).to.equal(null);
    const again = await oidc.authorizationCodeGrant(app, own.callback, { pkceCodeVerifier: own.start.verifier, expectedState: own.start.state, expectedNonce: own.start.nonce });
    expect(again.claims()!.sub).to.equal(alices.claims()!.sub);
  });

  it('prompt=select_account shows the sign-in page even with a session; the account signed in with is the one selected (OIDC Core §3.1.2.1)', async () => {
    await createUser(server.core, 'carol');
    const browser = new FormBrowser();
    const { tokens: alices } = await codeFlow(browser);
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'select_account' });
    let page = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    expect(page.body, 'the sign-in page, although alice is signed in').to.include('name="password"');
    page = await browser.follow(await browser.post(new URL(formAction(page.body, '/login'), page.url).toString(), { csrf: hiddenField(page.body, 'csrf'), login: 'carol', password: PASSWORD }), REDIRECT);
    // Another account than the session's: oidc-provider first ends alice's session (a self-submitting form), then goes on.
    expect(page.body).to.include('/session/end/confirm');
    page = await browser.follow(await browser.post(`${server.issuer}/session/end/confirm`, { xsrf: hiddenField(page.body, 'xsrf'), logout: 'yes' }), REDIRECT);
    page = await browser.follow(await browser.post(new URL(formAction(page.body, '/confirm'), page.url).toString(), { csrf: hiddenField(page.body, 'csrf') }), REDIRECT);
    const callback = new URL(page.url);
    expect(callback.searchParams.get('error')).to.equal(null);
    const carols = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(carols.claims()!.sub).to.equal((await server.core.users.show('carol')).id).and.not.equal(alices.claims()!.sub);
    // Without a session it is the ordinary sign-in, once.
    const fresh = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'select_account' });
    const alone = await signIn(new FormBrowser(), fresh.url, REDIRECT, { login: 'alice' });
    expect(alone.pages.filter((p) => p.body.includes('name="password"'))).to.have.length(1);
    expect(alone.callback.searchParams.get('code')).to.be.a('string');
  });

  it('narrows a refresh to OpenID Connect scopes alone into a userinfo token, never an API token without scopes', async () => {
    const { tokens } = await codeFlow();
    const narrowed = await oidc.refreshTokenGrant(app, tokens.refresh_token!, { scope: 'openid email' });
    // RFC 6749 §3.3: the scope issued, spelled out (an empty value is not a scope).
    expect(narrowed.scope).to.equal('openid email');
    const userinfo = await oidc.fetchUserInfo(app, narrowed.access_token, tokens.claims()!.sub);
    expect(userinfo.email).to.equal('alice@example.com');
    // It is not a token for the API.
    expect((await oidc.tokenIntrospection(api, narrowed.access_token)).active).to.equal(false);
    // Keeping an API scope keeps the API token.
    const kept = await oidc.refreshTokenGrant(app, narrowed.refresh_token!, { scope: 'openid orders:read' });
    expect(kept.scope).to.equal('orders:read');
    expect(await oidc.tokenIntrospection(api, kept.access_token)).to.include({ active: true, scope: 'orders:read' });
  });

  it('revoking the refresh token (RFC 7009) makes its access token inactive', async () => {
    const { tokens } = await codeFlow();
    expect((await oidc.tokenIntrospection(api, tokens.access_token)).active).to.equal(true);
    await oidc.tokenRevocation(app, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).to.deep.equal({ active: false });
    expect((await oidc.tokenIntrospection(app, tokens.refresh_token!)).active).to.equal(false);
  });

  it('revoking the access token makes it inactive', async () => {
    const { tokens } = await codeFlow();
    await oidc.tokenRevocation(app, tokens.access_token, { token_type_hint: 'access_token' });
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).to.deep.equal({ active: false });
  });

  it('logout that ends the grant makes its tokens inactive', async () => {
    const { tokens, browser } = await codeFlow(undefined, 'openid orders:read');
    expect((await oidc.tokenIntrospection(api, tokens.access_token)).active).to.equal(true);
    const endSession = oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:8080/bye', state: 'bye' });
    const confirm = await browser.get(endSession.toString());
    expect(confirm.status).to.equal(200);
    expect(confirm.body).to.include('Yes, sign me out');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const done = await browser.post(`${server.issuer}/session/end/confirm`, { xsrf, logout: 'yes' });
    expect(done.status).to.equal(303);
    expect(done.location).to.match(/^http:\/\/127\.0\.0\.1:8080\/bye\?state=bye/);
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).to.deep.equal({ active: false });
    // The audit log says who signed out, through which client, and that the whole session ended.
    await server.core.audit.flush();
    const [logout] = await server.core.repositories.audit.query({ type: 'logout', limit: 1 });
    expect(logout).to.deep.include({ outcome: 'success', clientId: app.clientMetadata().client_id, userId: decodeJwt(tokens.id_token!).sub });
    expect(logout!.details).to.deep.equal({ ended: 'session' });
  });

  it('rejects a second redemption of a code and revokes the tokens of the first', async () => {
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: API });
    const { callback } = await signIn(browser, start.url, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect((await oidc.tokenIntrospection(api, tokens.access_token)).active).to.equal(true);
    const again = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }).catch((e: unknown) => e);
    expect((again as oidc.ResponseBodyError).error).to.equal('invalid_grant');
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).to.deep.equal({ active: false });
  });

  it('lets exactly one of many concurrent redemptions of a code win', async () => {
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: API });
    const { callback } = await signIn(browser, start.url, REDIRECT);
    const code = callback.searchParams.get('code')!;
    const { client_id: clientId } = app.clientMetadata();
    const secret = (app.clientMetadata() as { client_secret?: string }).client_secret!;
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${server.issuer}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: start.verifier }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> })),
      ),
    );
    const winners = attempts.filter((a) => a.status === 200);
    const losers = attempts.filter((a) => a.status !== 200);
    expect(winners).to.have.length(1);
    expect(losers).to.have.length(7);
    for (const loser of losers) {
      expect(loser.status).to.equal(400);
      expect(loser.body.error).to.equal('invalid_grant');
    }
    // RFC 9700 §4.5: the tokens of the grant are revoked.
    expect(await oidc.tokenIntrospection(api, winners[0]!.body.access_token!)).to.deep.equal({ active: false });
  });

  it('rejects a wrong or missing PKCE verifier', async () => {
    for (const verifier of ['wrong-verifier-wrong-verifier-wrong-verifier-0123', undefined]) {
      const browser = new FormBrowser();
      const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
      const { callback } = await signIn(browser, start.url, REDIRECT);
      const { client_id: clientId } = app.clientMetadata();
      const secret = (app.clientMetadata() as { client_secret?: string }).client_secret!;
      const body = new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT });
      if (verifier) body.set('code_verifier', verifier);
      const response = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body,
      });
      expect(response.status).to.equal(400);
      expect(((await response.json()) as { error: string }).error).to.equal('invalid_grant');
    }
  });

  it('refuses authorization requests without PKCE or with the plain method', async () => {
    const { client_id: clientId } = app.clientMetadata();
    const base = { client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, state: 'xyz' };
    for (const extra of [{}, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, { code_challenge: 'a'.repeat(43) }] as Record<string, string>[]) {
      const response = await fetch(`${server.issuer}/auth?${new URLSearchParams({ ...base, ...extra })}`, { redirect: 'manual' });
      expect(response.status).to.equal(303);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).to.equal(REDIRECT);
      expect(location.searchParams.get('error')).to.equal('invalid_request');
      expect(location.searchParams.get('iss')).to.equal(server.issuer);
    }
  });

  it('shows an error page, never a redirect, for an unregistered redirect URI or unknown client', async () => {
    const { client_id: clientId } = app.clientMetadata();
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const base = { response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' };
    const cases: Record<string, string>[] = [
      { client_id: clientId, redirect_uri: 'https://evil.example.com/callback' },
      { client_id: clientId, redirect_uri: `${REDIRECT}/extra` },
      { client_id: clientId, redirect_uri: `${REDIRECT}?x=1` },
      { client_id: clientId, redirect_uri: REDIRECT.toUpperCase() },
      { client_id: clientId },
      { client_id: 'no-such-client', redirect_uri: REDIRECT },
    ];
    for (const params of cases) {
      const response = await fetch(`${server.issuer}/auth?${new URLSearchParams({ ...base, ...params })}`, { redirect: 'manual' });
      expect(response.status, JSON.stringify(params)).to.equal(400);
      expect(response.headers.get('location')).to.equal(null);
      expect(response.headers.get('content-type')).to.match(/^text\/html/);
    }
  });

  it('lets a native app on a loopback redirect URI use any port (RFC 8252 §7.3), and holds a web app to its own', async () => {
    const cli = await createWebClient(server.core, { redirectUri: 'http://127.0.0.1/callback', apis: [API], name: 'Command line', publicClient: true });
    const native = await relyingParty(server.issuer, cli.clientId, undefined);
    expect((await server.core.catalog.client(cli.clientId))?.metadata.application_type).to.equal('native');
    const ephemeral = 'http://127.0.0.1:49152/callback';
    const start = await startAuthorization(native, { redirectUri: ephemeral, scope: 'openid orders:read', resource: API });
    const { callback } = await signIn(new FormBrowser(), start.url, ephemeral);
    expect(callback.origin).to.equal('http://127.0.0.1:49152');
    const tokens = await oidc.authorizationCodeGrant(native, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }, { redirect_uri: ephemeral });
    expect(tokens.access_token).to.be.a('string');
    // Only the port is free: host and path are still matched exactly.
    for (const other of ['http://127.0.0.1:49152/other', 'http://localhost:49152/callback']) {
      const refused = await fetch((await startAuthorization(native, { redirectUri: other, scope: 'openid' })).url, { redirect: 'manual' });
      expect(refused.status, other).to.equal(400);
    }
    // A confidential web app on a loopback host keeps exact matching, port included.
    const refused = await fetch((await startAuthorization(app, { redirectUri: 'http://127.0.0.1:8081/callback', scope: 'openid' })).url, { redirect: 'manual' });
    expect(refused.status).to.equal(400);
  });

  it('refuses response types that carry tokens', async () => {
    const { client_id: clientId } = app.clientMetadata();
    for (const responseType of ['token', 'id_token token', 'code id_token']) {
      const response = await fetch(
        `${server.issuer}/auth?${new URLSearchParams({ client_id: clientId, response_type: responseType, scope: 'openid', redirect_uri: REDIRECT, nonce: 'n' })}`,
        { redirect: 'manual' },
      );
      const location = response.headers.get('location');
      const error = location ? new URL(location.replace('#', '?')).searchParams.get('error') : undefined;
      expect(error, responseType).to.equal('unsupported_response_type');
    }
  });
});
