// The sign-in pages as a browser sees them over HTTP: headers, the texts and their language, what
// the consent page says about the client and its APIs, escaping of hostile input, and CSRF.
import { createHash } from 'node:crypto';

import { expect } from 'chai';

import { FormBrowser, formAction, hiddenField } from '../helpers/browser.js';
import { PASSWORD, createUser, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://payroll.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';
const XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>';

describe('sign-in pages: headers, texts, languages, branding and escaping', function () {
  this.timeout(60_000);
  let server: TestServer;
  let clientId: string;
  let clientSecret: string;
  let hostileClientId: string;

  before(async () => {
    server = await startTestServer({ env: { BRAND_NAME: 'Acme Identity', BRAND_COLOR: '#0b6e4f' } });
    await server.core.apis.create({
      identifier: API,
      name: 'Payroll API',
      scopes: [{ name: 'payslips:read', description: 'Read your payslips' }],
    });
    await createUser(server.core, 'alice');
    const created = await server.core.clients.create({
      name: 'Timesheets',
      redirectUris: [REDIRECT],
      apis: [API],
      logoUri: 'https://timesheets.example.com/logo.png',
      policyUri: 'https://timesheets.example.com/privacy',
      tosUri: 'https://timesheets.example.com/terms',
    });
    clientId = created.client.clientId;
    clientSecret = created.clientSecret!;
    const hostile = await server.core.clients.create({ name: XSS, redirectUris: [REDIRECT] });
    hostileClientId = hostile.client.clientId;
  });

  after(async () => server?.stop());

  const loginPage = async (extra: Record<string, string> = {}, id = clientId, secret: string | undefined = clientSecret, browser = new FormBrowser()) => {
    const app = await relyingParty(server.issuer, id, secret);
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', extra });
    return { page: await browser.follow(await browser.get(start.url.toString()), REDIRECT), start, browser, app };
  };

  it('sends the protective headers: CSP with a nonce and frame-ancestors none, DENY, no-referrer, no-store, nosniff', async () => {
    const { page } = await loginPage();
    expect(page.status).to.equal(200);
    const csp = page.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(page.body).to.include(`nonce="${nonce}"`);
    expect(csp).to.include("frame-ancestors 'none'").and.include("default-src 'none'").and.not.include('unsafe-inline');
    expect(page.headers.get('x-frame-options')).to.equal('DENY');
    expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(page.headers.get('cache-control')).to.equal('no-store');
    expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
    // Nothing is loaded from another host but the client's own registered logo.
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => /^https?:/.test(u));
    expect(sources.filter((u) => !u.startsWith('https://timesheets.example.com/'))).to.deep.equal([]);
  });

  it("lets oidc-provider's self-submitting form_post page run: the hash of its inline script is in the CSP", async () => {
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    // No session and prompt=none: the error goes back to the client as a form that submits itself.
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', extra: { response_mode: 'form_post', prompt: 'none' } });
    const page = await new FormBrowser().get(start.url.toString());
    // oidc-provider answers an error sent by form_post with 400.
    expect(page.status).to.equal(400);
    expect(page.body).to.include('name="error" value="login_required"').and.include(`action="${REDIRECT}"`);
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)![1]!;
    const scriptSrc = /script-src ([^;]+)/.exec(page.headers.get('content-security-policy')!)![1]!;
    expect(scriptSrc.split(' ')).to.include(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(page.headers.get('content-security-policy')).to.include("frame-ancestors 'none'").and.include("default-src 'none'");
  });

  it('shows the client name, logo, policy and terms links, and the configured brand', async () => {
    const { page } = await loginPage();
    expect(page.body).to.include('Timesheets').and.include('src="https://timesheets.example.com/logo.png"');
    expect(page.body).to.include('href="https://timesheets.example.com/privacy"').and.include('href="https://timesheets.example.com/terms"');
    expect(page.body).to.include('Acme Identity').and.include('--brand: #0b6e4f');
    expect(page.body).to.include('<label for="login">Username or email</label>').and.include('<label for="password">Password</label>');
  });

  it('honours ui_locales where a translation exists, and falls back to English', async () => {
    const german = (await loginPage({ ui_locales: 'de-CH en' })).page;
    expect(german.body).to.include('<html lang="de">').and.include('Benutzername oder E-Mail').and.include('Passwort');
    const unknown = (await loginPage({ ui_locales: 'tlh fr' })).page;
    expect(unknown.body).to.include('<html lang="en">').and.include('Username or email');
  });

  it('words the error page in the browser\'s language, oidc-provider\'s errors included', async () => {
    const unknownClient = `${server.issuer}/auth?client_id=no-such-app&response_type=code&scope=openid`;
    const german = await fetch(unknownClient, { headers: { accept: 'text/html', 'accept-language': 'de-DE' } });
    const body = await german.text();
    expect(german.status).to.equal(400);
    expect(body).to.include('<html lang="de">').and.include('Diese Anwendung ist hier nicht registriert.');
    expect(body).to.not.include('client is invalid');
    const english = await (await fetch(unknownClient, { headers: { accept: 'text/html', 'accept-language': 'en' } })).text();
    expect(english).to.include('client is invalid');
  });

  it('describes each scope and names the API on the consent page, in the requested language', async () => {
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid email payslips:read', resource: API, prompt: 'consent', extra: { ui_locales: 'de' } });
    const { pages } = await signIn(new FormBrowser(), start.url, REDIRECT).catch(() => ({ pages: [] }));
    // signIn allows by default; look at the consent page it passed through.
    const consent = pages.find((p) => p.body.includes('/confirm'))!;
    expect(consent.body).to.include('Read your payslips').and.include('payslips:read');
    expect(consent.body).to.include('Ihre E-Mail-Adresse sehen').and.include('Payroll API');
    expect(consent.body).to.include('Erlauben').and.include('Ablehnen');
  });

  it('lists everything requested when prompt=consent asks again for what was granted before', async () => {
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    const browser = new FormBrowser();
    const first = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid email payslips:read' });
    await signIn(browser, first.url, REDIRECT);
    // Everything is granted now: without prompt=consent the code comes back with no page in between.
    const again = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid email payslips:read', prompt: 'consent' });
    const consent = await browser.follow(await browser.get(again.url.toString()), REDIRECT);
    expect(consent.body).to.include('/confirm');
    expect(consent.body).to.include('See your email address').and.include('Read your payslips').and.include('Payroll API');
  });

  it('keeps the language the app asked for at logout on the signed-out page after it (RP-Initiated Logout 1.0 §2 ui_locales)', async () => {
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    await signIn(browser, start.url, REDIRECT);
    const confirm = await browser.get(`${server.issuer}/session/end?ui_locales=de`);
    expect(confirm.body).to.include('<html lang="de"');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const done = await browser.follow(await browser.post(`${server.issuer}/session/end/confirm`, { xsrf, logout: 'yes' }), REDIRECT);
    expect(new URL(done.url).pathname).to.equal('/session/end/success');
    expect(done.body).to.include('<html lang="de"');
  });

  it('escapes hostile text in client_name, login_hint and ui_locales', async () => {
    const { page } = await loginPage({ login_hint: XSS, ui_locales: XSS }, hostileClientId, undefined);
    expect(page.status).to.equal(200);
    expect(page.body).to.not.include('<script>alert(1)').and.not.include('<img src=x');
    expect(page.body).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).to.include('<html lang="en">');
  });

  it('refuses a consent or deny form without its CSRF token', async () => {
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid email', prompt: 'consent' });
    let page = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    page = await browser.post(new URL(formAction(page.body, '/login'), page.url).toString(), { csrf: hiddenField(page.body, 'csrf'), login: 'alice', password: PASSWORD });
    page = await browser.follow(page, REDIRECT);
    expect(page.body).to.include('/confirm');
    for (const target of ['/confirm', '/abort']) {
      const forged = await browser.post(new URL(formAction(page.body, target), page.url).toString(), { csrf: 'forged' });
      expect(forged.status, target).to.equal(400);
      expect(forged.location).to.equal(undefined);
    }
  });

  it('shows an error page with a way back for an expired or replayed interaction', async () => {
    const { page, browser } = await loginPage();
    const action = new URL(formAction(page.body, '/login'), page.url).toString();
    const csrf = hiddenField(page.body, 'csrf');
    const done = await browser.post(action, { csrf, login: 'alice', password: PASSWORD });
    expect(done.status).to.equal(303);
    // The browser goes on to the application; the interaction is then used up.
    expect((await browser.follow(done, REDIRECT)).url).to.match(/^http:\/\/127\.0\.0\.1:8080\/callback/);
    const replay = await browser.post(action, { csrf, login: 'alice', password: PASSWORD });
    expect(replay.status).to.equal(400);
    expect(replay.body).to.include('expired or was already used').and.include('href="/account"');
    expect(replay.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
  });

  it('gives the browser a new session identifier when the user signs in', async () => {
    const browser = new FormBrowser();
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    const first = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    await signIn(browser, first.url, REDIRECT);
    const before = browser.cookieHistory.filter((c) => c.name === '_session').map((c) => c.value);
    // A second sign-in (prompt=login) on the same browser.
    const second = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'login' });
    await signIn(browser, second.url, REDIRECT);
    const after = browser.cookieHistory.filter((c) => c.name === '_session').map((c) => c.value);
    expect(before.length).to.be.greaterThan(0);
    expect(after.at(-1)).to.not.equal(before.at(-1));
  });
});
