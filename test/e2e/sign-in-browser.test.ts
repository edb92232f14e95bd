// The sign-in experience in a real browser (headless Chromium via playwright-core): the code flow
// with PKCE and an openid-client app, deny, prompt=none, max_age, logout, two-step sign-in, revoking
// an app from the account page, keyboard-only use, and an axe-core accessibility check of each page.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

import { expect } from 'chai';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { launchChromium } from '../helpers/browser.js';
import { PASSWORD, createApi, createResourceServerClient, createUser, createWebClient, relyingParty, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { totpCode } from '../helpers/totp.js';

const API = 'https://orders.example.com';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

describe('sign-in pages in Chromium', function () {
  this.timeout(180_000);
  let server: TestServer;
  let chromium: Browser;
  let app: oidc.Configuration;
  let rs: oidc.Configuration;
  // The app: a plain page at its redirect URIs, on a port of its own.
  let appServer: Server;
  let APP_ORIGIN = '';
  let REDIRECT = '';
  let AFTER_LOGOUT = '';

  before(async () => {
    appServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title><p>back at the app</p>'));
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    APP_ORIGIN = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
    REDIRECT = `${APP_ORIGIN}/callback`;
    AFTER_LOGOUT = `${APP_ORIGIN}/bye`;
    server = await startTestServer({ env: { LOGIN_DELAY_AFTER: '1000' } });
    await createApi(server.core, API, ['orders:read']);
    for (const name of ['alice', 'bob', 'carol', 'dave']) await createUser(server.core, name);
    const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API], name: 'Order Desk', postLogoutRedirectUri: AFTER_LOGOUT });
    app = await relyingParty(server.issuer, web.clientId, web.clientSecret);
    const resource = await createResourceServerClient(server.core, API);
    rs = await relyingParty(server.issuer, resource.clientId, resource.clientSecret);
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await server?.stop();
    appServer?.close();
  });

  /** A fresh browser profile. */
  const newContext = (options: { bypassCSP?: boolean } = {}): Promise<BrowserContext> => chromium.newContext({ viewport: { width: 1280, height: 900 }, ...options });

  const signInWithPassword = async (page: Page, login: string, password = PASSWORD) => {
    await page.getByLabel('Username or email').fill(login);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  const waitForApp = (page: Page) => page.waitForURL((url) => url.origin === APP_ORIGIN);

  /** The errors a page logs to its console from now on (a test expects none). */
  const consoleErrors = (page: Page): string[] => {
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    return problems;
  };

  /** Signs in and allows what is asked if the consent page comes (each test stands alone). */
  const signInToApp = async (page: Page, login: string) => {
    await signInWithPassword(page, login);
    const allow = page.getByRole('button', { name: 'Allow' });
    await Promise.race([waitForApp(page), allow.waitFor()]);
    if (new URL(page.url()).origin !== APP_ORIGIN) {
      await allow.click();
      await waitForApp(page);
    }
  };

  const axe = async (page: Page): Promise<AxeViolation[]> => {
    await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(async () => (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: unknown[] }> } }).axe.run({ runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice'] }));
    return result.violations as AxeViolation[];
  };

  it('runs the code flow with PKCE: labelled login, consent with Allow, tokens verified by openid-client', async () => {
    const context = await newContext();
    const page = await context.newPage();
    // Nothing on Gatehouse's pages fails to load or logs an error (a missing favicon included).
    const problems = consoleErrors(page);
    page.on('response', (response) => {
      if (new URL(response.url()).origin === server.issuer && response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid profile orders:read', resource: API });
    await page.goto(start.url.toString());
    await expect(await page.title()).to.include('Sign in');
    await signInWithPassword(page, 'alice');
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    expect(await page.getByText('Use orders:read').count()).to.equal(1);
    await page.getByRole('button', { name: 'Allow' }).click();
    await waitForApp(page);
    const tokens = await oidc.authorizationCodeGrant(app, new URL(page.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.claims()!.preferred_username).to.equal('alice');
    expect((await oidc.tokenIntrospection(rs, tokens.access_token)).active).to.equal(true);
    expect(problems).to.deep.equal([]);
    await context.close();
  });

  it('returns access_denied with state and iss when the user clicks Deny', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid email', prompt: 'consent' });
    await page.goto(start.url.toString());
    await signInWithPassword(page, 'alice');
    await page.getByRole('button', { name: 'Deny' }).click();
    await waitForApp(page);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('error')).to.equal('access_denied');
    expect(callback.searchParams.get('state')).to.equal(start.state);
    expect(callback.searchParams.get('iss')).to.equal(server.issuer);
    await context.close();
  });

  it('answers prompt=none with login_required without a session, and with a code when signed in', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const silent = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'none' });
    await page.goto(silent.url.toString());
    await waitForApp(page);
    expect(new URL(page.url()).searchParams.get('error')).to.equal('login_required');

    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    await page.goto(start.url.toString());
    await signInToApp(page, 'alice');
    const again = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'none' });
    await page.goto(again.url.toString());
    await waitForApp(page);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('error')).to.equal(null);
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: again.verifier, expectedState: again.state, expectedNonce: again.nonce });
    expect(tokens.claims()!.sub).to.be.a('string');
    await context.close();
  });

  it('asks for the password again when the sign-in is older than max_age', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    await page.goto(start.url.toString());
    await signInToApp(page, 'alice');
    // Let the sign-in age past one second (max_age is counted in whole seconds).
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const aged = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', extra: { max_age: '1' } });
    await page.goto(aged.url.toString());
    await page.getByLabel('Password', { exact: true }).waitFor();
    await signInToApp(page, 'alice');
    const tokens = await oidc.authorizationCodeGrant(app, new URL(page.url()), { pkceCodeVerifier: aged.verifier, expectedState: aged.state, expectedNonce: aged.nonce, maxAge: 1 });
    expect(tokens.claims()!.auth_time).to.be.a('number');
    await context.close();
  });

  it('prompt=select_account lets another account sign in in the same browser (the switch posts itself past the CSP)', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const problems = consoleErrors(page);
    const first = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    await page.goto(first.url.toString());
    await signInToApp(page, 'carol');
    const select = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'select_account' });
    await page.goto(select.url.toString());
    await page.getByLabel('Password', { exact: true }).waitFor();
    // dave, not carol: oidc-provider ends carol's session with a self-submitting form, then goes on to consent.
    await signInToApp(page, 'dave');
    const tokens = await oidc.authorizationCodeGrant(app, new URL(page.url()), { pkceCodeVerifier: select.verifier, expectedState: select.state, expectedNonce: select.nonce });
    expect(tokens.claims()!.sub).to.equal((await server.core.users.show('dave')).id);
    expect(problems).to.deep.equal([]);
    await context.close();
  });

  it('logs out only after confirmation, then shows the app or the logged-out page', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    await page.goto(start.url.toString());
    await signInToApp(page, 'alice');
    const tokens = await oidc.authorizationCodeGrant(app, new URL(page.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });

    // Without id_token_hint: a confirmation page, and "No" keeps the session.
    await page.goto(`${server.issuer}/session/end`);
    await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
    await page.getByRole('button', { name: 'No, stay signed in' }).click();
    const silent = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'none' });
    await page.goto(silent.url.toString());
    await waitForApp(page);
    expect(new URL(page.url()).searchParams.get('code')).to.be.a('string');

    // With id_token_hint and a registered post_logout_redirect_uri: confirm, then back at the app.
    const end = oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: AFTER_LOGOUT, state: 'bye-state' });
    await page.goto(end.toString());
    await page.getByText('Order Desk asks you to sign out').waitFor();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => url.toString().startsWith(AFTER_LOGOUT));
    expect(new URL(page.url()).searchParams.get('state')).to.equal('bye-state');
    const after = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'none' });
    await page.goto(after.url.toString());
    await waitForApp(page);
    expect(new URL(page.url()).searchParams.get('error')).to.equal('login_required');

    // Without a redirect: the logged-out page.
    await page.goto(start.url.toString());
    await signInToApp(page, 'alice');
    await page.goto(`${server.issuer}/session/end`);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await context.close();
  });

  it('enrols TOTP on the account page and then asks for the code at sign-in (amr and acr in the ID token)', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${server.issuer}/account`);
    await signInWithPassword(page, 'bob');
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByRole('link', { name: 'Set up two-step sign-in' }).click();
    const qr = page.getByRole('img', { name: 'QR code' });
    expect(await qr.getAttribute('src')).to.match(/^data:image\/svg\+xml;base64,/);
    const secret = (await page.locator('#totp-secret').textContent())!.trim();
    const enrolled = await totpCode(secret);
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByLabel('Authentication code').fill(enrolled.code);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
    expect(await page.locator('.codes li').count()).to.equal(10);
    await context.close();

    const fresh = await newContext();
    const login = await fresh.newPage();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    await login.goto(start.url.toString());
    await signInWithPassword(login, 'bob');
    await login.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    // Each step's code works once: sign-in takes a code of a later step than the enrolment's.
    await login.getByLabel('Authentication code').fill((await totpCode(secret, { after: enrolled.step })).code);
    await login.getByRole('button', { name: 'Verify' }).click();
    await login.getByRole('button', { name: 'Allow' }).click();
    await waitForApp(login);
    const tokens = await oidc.authorizationCodeGrant(app, new URL(login.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const claims = decodeJwt(tokens.id_token!);
    expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
    expect(claims.acr).to.equal('urn:gatehouse:acr:two-step');
    await fresh.close();
  });

  it('revokes an app from the account page: its access token introspects as inactive at once', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: API });
    await page.goto(start.url.toString());
    await signInWithPassword(page, 'carol');
    await page.getByRole('button', { name: 'Allow' }).click();
    await waitForApp(page);
    const tokens = await oidc.authorizationCodeGrant(app, new URL(page.url()), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect((await oidc.tokenIntrospection(rs, tokens.access_token)).active).to.equal(true);
    await page.goto(`${server.issuer}/account`);
    await page.getByText('Order Desk').first().waitFor();
    await page.getByRole('button', { name: 'Revoke access: Order Desk' }).click();
    await page.getByText('Order Desk no longer has access to your account.').waitFor();
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).to.deep.equal({ active: false });
    await context.close();
  });

  it('works with the keyboard alone: sign in, allow, arrive at the app', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid email', prompt: 'consent' });
    await page.goto(start.url.toString());
    // The username field has focus when the page opens.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('login');
    await page.keyboard.type('dave');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'Allow'; i += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText ?? '');
    }
    expect(focused).to.equal('Allow');
    // The focused control is visibly outlined.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).to.equal('solid');
    await page.keyboard.press('Enter');
    await waitForApp(page);
    expect(new URL(page.url()).searchParams.get('code')).to.be.a('string');
    await context.close();
  });

  it('passes an axe-core check on the login, error, consent, account, two-step, logout and logged-out pages', async () => {
    // axe is injected as a script: this profile ignores the page's CSP (the pages themselves do not change).
    const context = await newContext({ bypassCSP: true });
    const page = await context.newPage();
    const found: Record<string, AxeViolation[]> = {};
    const check = async (name: string) => {
      found[name] = await axe(page);
    };
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid email orders:read', resource: API, prompt: 'consent' });
    await page.goto(start.url.toString());
    await check('login');
    await signInWithPassword(page, 'dave', 'not the password');
    await page.getByRole('alert').waitFor();
    await check('login with error');
    await signInWithPassword(page, 'dave');
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await check('consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await waitForApp(page);
    await page.goto(`${server.issuer}/account`);
    await check('account');
    await page.goto(`${server.issuer}/account/two-step`);
    await check('two-step enrolment');
    await page.goto(`${server.issuer}/interaction/no-such-interaction`);
    await check('error');
    await page.goto(`${server.issuer}/session/end`);
    await check('logout');
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await check('logged out');
    const summary = Object.fromEntries(Object.entries(found).map(([name, violations]) => [name, violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)]));
    expect(summary).to.deep.equal(Object.fromEntries(Object.keys(found).map((name) => [name, []])));
    expect(Object.keys(found)).to.have.length(8);
    await context.close();
  });
});
