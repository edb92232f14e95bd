// The account page over HTTP: signing in to it, the apps a user allowed (revoking one ends its
// tokens at once), sessions with "Sign out everywhere", password change ending the other sessions,
// and two-step sign-in (enrolment, login with a code, recovery codes, amr/acr in the ID token).
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import * as oidc from 'openid-client';

import { FormBrowser, formAction, hiddenField, type Page } from '../helpers/browser.js';
import { PASSWORD, createApi, createResourceServerClient, createUser, createWebClient, relyingParty, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { totpCode } from '../helpers/totp.js';

const API = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

describe('account page: apps, sessions, password, two-step sign-in', function () {
  this.timeout(120_000);
  let server: TestServer;
  let app: oidc.Configuration;
  let rs: oidc.Configuration;

  before(async () => {
    server = await startTestServer({ env: { LOGIN_DELAY_AFTER: '1000' } });
    await createApi(server.core, API, ['orders:read']);
    for (const name of ['alice', 'bob', 'carol', 'erin', 'frank', 'gina', 'hana', 'ivy', 'jack', 'kate']) await createUser(server.core, name);
    const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API], name: 'Order Desk' });
    app = await relyingParty(server.issuer, web.clientId, web.clientSecret);
    const resource = await createResourceServerClient(server.core, API);
    rs = await relyingParty(server.issuer, resource.clientId, resource.clientSecret);
  });

  after(async () => server?.stop());

  const url = (path: string) => `${server.issuer}${path}`;

  /** Walks login (and a second step, and consent) for any authorization URL; returns the last page or redirect. */
  const walk = async (browser: FormBrowser, start: string, stopAt: string, { login = 'alice', password = PASSWORD, code }: { login?: string; password?: string; code?: () => string } = {}) => {
    let page = await browser.follow(await browser.get(start), stopAt);
    for (let i = 0; i < 5 && !page.url.startsWith(stopAt); i += 1) {
      const action = (fragment: string) => new URL(formAction(page.body, fragment), page.url).toString();
      if (page.body.includes('name="password"')) page = await browser.post(action('/login'), { csrf: hiddenField(page.body, 'csrf'), login, password });
      else if (page.body.includes('name="pending"')) page = await browser.post(action('/two-step'), { csrf: hiddenField(page.body, 'csrf'), pending: hiddenField(page.body, 'pending'), code: code!() });
      else if (page.body.includes('/confirm')) page = await browser.post(action('/confirm'), { csrf: hiddenField(page.body, 'csrf') });
      else break;
      page = await browser.follow(page, stopAt);
    }
    return page;
  };

  const appSignIn = async (browser: FormBrowser, options: Parameters<typeof walk>[3] = {}, scope = 'openid orders:read') => {
    // offline_access is granted only with prompt=consent (OpenID Connect Core 11).
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope, resource: API, prompt: scope.includes('offline_access') ? 'consent' : undefined });
    const page = await walk(browser, start.url.toString(), REDIRECT, options);
    return oidc.authorizationCodeGrant(app, new URL(page.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
  };

  const accountPage = async (browser: FormBrowser): Promise<Page> => browser.get(url('/account'));

  /** An app's refresh token whose session then signs out (RP-initiated logout): the offline grant outlives the session. */
  const offlineTokenOfEndedSession = async (login: string) => {
    const browser = new FormBrowser();
    const tokens = await appSignIn(browser, { login }, 'openid offline_access orders:read');
    const confirm = await browser.get(oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token! }).toString());
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const done = await browser.follow(await browser.post(url('/session/end/confirm'), { xsrf, logout: 'yes' }), REDIRECT);
    expect(done.body).to.include('You are signed out');
    // Still good after the logout (offline_access): the refresh below rotates it.
    return (await oidc.refreshTokenGrant(app, tokens.refresh_token!)).refresh_token!;
  };
  const refreshRefused = async (refreshToken: string) => ((await oidc.refreshTokenGrant(app, refreshToken).catch((e: unknown) => e)) as oidc.ResponseBodyError).error;
  const post = (browser: FormBrowser, page: Page, action: string, form: Record<string, string> = {}) =>
    browser.post(new URL(formAction(page.body, action), page.url).toString(), { csrf: hiddenField(page.body, 'csrf'), ...form });

  it('sends a visitor without a session through the sign-in pages and back to the account page', async () => {
    const browser = new FormBrowser();
    const first = await accountPage(browser);
    expect(first.status).to.equal(302);
    expect(first.location).to.equal('/account/login');
    const page = await walk(browser, url('/account'), url('/account/callback'));
    const back = await browser.follow(await browser.get(page.url), url('/account?'));
    expect(back.status).to.equal(200);
    expect(back.body).to.include('Your account').and.include('Signed in as Alice Example');
    // The account page is Gatehouse's own: no consent page, and it is not listed among the apps.
    expect(back.body).to.include('No app has access to your account.');
  });

  it('lists the apps with their scopes; "Revoke access" ends the grant and its tokens at once', async () => {
    const browser = new FormBrowser();
    const tokens = await appSignIn(browser, { login: 'bob' });
    expect((await oidc.tokenIntrospection(rs, tokens.access_token)).active).to.equal(true);
    const page = await accountPage(browser);
    expect(page.body).to.include('Order Desk').and.include('Use orders:read').and.include('Confirm your identity').and.include('API https://orders.example.com');
    const revoked = await post(browser, page, '/revoke');
    expect(revoked.status).to.equal(200);
    expect(revoked.body).to.include('Order Desk no longer has access').and.include('No app has access');
    expect(await oidc.tokenIntrospection(rs, tokens.access_token)).to.deep.equal({ active: false });
    const events = await server.core.audit.flush().then(() => server.core.repositories.audit.query({ limit: 200, type: 'account.access.revoked' }));
    expect(events).to.have.length(1);
  });

  it('never shows text from the sign-in callback\'s query on its error page (no content spoofing)', async () => {
    const spoof = 'Account locked. Call +1-555-0100 now';
    const page = await fetch(url(`/account/callback?error=${encodeURIComponent(spoof)}&state=x`));
    expect(page.status).to.equal(400);
    const body = await page.text();
    expect(body).to.not.include('Account locked');
    expect(body).to.include('invalid_response');
    // A real authorization error code is still named.
    expect(await (await fetch(url('/account/callback?error=access_denied&state=x'))).text()).to.include('access_denied');
  });

  it('refuses account forms without the token or from another origin', async () => {
    const browser = new FormBrowser();
    await appSignIn(browser, { login: 'bob' });
    const page = await accountPage(browser);
    const noToken = await browser.post(new URL(formAction(page.body, '/revoke'), page.url).toString(), {});
    expect(noToken.status).to.equal(403);
    expect(noToken.body).to.include('This form has expired').and.include('href="/account"');
    // A browser whose every request says it comes from another site: the token alone is not enough.
    const crossSite = new FormBrowser({ origin: 'https://evil.example' });
    await appSignIn(crossSite, { login: 'bob' });
    const crossPage = await accountPage(crossSite);
    expect((await post(crossSite, crossPage, '/revoke')).status).to.equal(403);
    expect((await accountPage(browser)).body).to.include('Order Desk');
  });

  it('"Sign out everywhere" ends every session of the user', async () => {
    const laptop = new FormBrowser();
    const phone = new FormBrowser();
    const phoneTokens = await appSignIn(phone, { login: 'carol' });
    await appSignIn(laptop, { login: 'carol' });
    const page = await accountPage(laptop);
    expect(page.body).to.include('This browser').and.include('Another browser or device');
    const ended = await post(laptop, page, '/sessions/end-all', { password: PASSWORD });
    expect(ended.body).to.include('You are signed out');
    expect((await accountPage(laptop)).status).to.equal(302);
    expect((await accountPage(phone)).status).to.equal(302);
    expect((await oidc.tokenIntrospection(rs, phoneTokens.access_token)).active).to.equal(false);
  });

  it('"Sign out everywhere" also ends offline refresh tokens whose session had already ended, and this browser\'s', async () => {
    const offline = await offlineTokenOfEndedSession('gina');
    const laptop = new FormBrowser();
    const own = await appSignIn(laptop, { login: 'gina' }, 'openid offline_access orders:read');
    // Through the account client's sign-in too, so that it holds a grant of its own.
    await walk(laptop, url('/account/login'), url('/account/callback'));
    const userId = decodeJwt(own.id_token!).sub!;
    expect((await server.core.userAccess.listGrants(userId)).map((g) => g.clientId)).to.include('gatehouse-account');
    const page = await accountPage(laptop);
    expect((await post(laptop, page, '/sessions/end-all', { password: PASSWORD })).body).to.include('You are signed out');
    expect(await refreshRefused(offline)).to.equal('invalid_grant');
    expect(await refreshRefused(own.refresh_token!)).to.equal('invalid_grant');
    expect(await server.core.userAccess.listGrants(userId)).to.deep.equal([]);
    await server.core.audit.flush();
    const [event] = await server.core.repositories.audit.query({ limit: 10, type: 'account.sessions.ended', userId });
    expect(event!.details).to.include({ sessions: 1, grants: 3, kept_current: false });
  });

  it('a password change ends offline refresh tokens whose session had already ended, but not those of this browser', async () => {
    const offline = await offlineTokenOfEndedSession('frank');
    const laptop = new FormBrowser();
    const own = await appSignIn(laptop, { login: 'frank' }, 'openid offline_access orders:read');
    const page = await post(laptop, await accountPage(laptop), '/account/password', { current_password: PASSWORD, new_password: 'another new passphrase' });
    expect(page.body).to.include('Your password was changed');
    expect(await refreshRefused(offline)).to.equal('invalid_grant');
    expect((await oidc.refreshTokenGrant(app, own.refresh_token!)).access_token).to.be.a('string');
    expect((await accountPage(laptop)).status).to.equal(200);
    await server.core.audit.flush();
    const [event] = await server.core.repositories.audit.query({ limit: 10, type: 'account.sessions.ended', userId: decodeJwt(own.id_token!).sub! });
    expect(event!.details).to.include({ sessions: 0, grants: 1, kept_current: true });
  });

  it('changes the password: the current one is required, the policy applies, other sessions end', async () => {
    const laptop = new FormBrowser();
    const phone = new FormBrowser();
    await appSignIn(phone, { login: 'erin' });
    await appSignIn(laptop, { login: 'erin' });
    let page = await accountPage(laptop);
    const wrong = await post(laptop, page, '/account/password', { current_password: 'not it at all', new_password: 'a brand new passphrase' });
    expect(wrong.status).to.equal(400);
    expect(wrong.body).to.include('The current password is not correct.');
    const common = await post(laptop, wrong, '/account/password', { current_password: PASSWORD, new_password: 'password123' });
    expect(common.body).to.include('too common');
    // ASVS 5.0 V6.2.11: not little more than the username or the service's name.
    const context = await post(laptop, common, '/account/password', { current_password: PASSWORD, new_password: 'erin-gatehouse-26' });
    expect(context.status).to.equal(400);
    expect(context.body).to.include('built on your name');
    await server.core.audit.flush();
    const refusals = await server.core.repositories.audit.query({ type: 'account.password.change_failed', limit: 10 });
    expect(refusals.map((e) => e.details?.reason)).to.include('context').and.include('common');
    const short = await post(laptop, context, '/account/password', { current_password: PASSWORD, new_password: 'short' });
    expect(short.body).to.include('at least 8 characters');
    page = await post(laptop, short, '/account/password', { current_password: PASSWORD, new_password: 'a brand new passphrase' });
    expect(page.status).to.equal(200);
    expect(page.body).to.include('Your password was changed');
    expect((await accountPage(laptop)).status).to.equal(200);
    expect((await accountPage(phone)).status).to.equal(302);
    expect(await server.core.users.authenticate('erin', 'a brand new passphrase')).to.not.equal(undefined);
    const types = (await server.core.audit.flush().then(() => server.core.repositories.audit.query({ limit: 500 }))).map((e) => e.type);
    expect(types).to.include('account.password.changed').and.include('account.password.change_failed');
  });

  it('enrols TOTP with a QR code drawn locally; sign-in then asks for a code, and amr/acr say so', async () => {
    const browser = new FormBrowser();
    await appSignIn(browser, { login: 'alice' });
    const enrol = await browser.get(url('/account/two-step'));
    expect(enrol.status).to.equal(200);
    expect(enrol.body).to.include('src="data:image/svg+xml;base64,');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrol.body)![1]!;
    // A second tab (or a reload) shows the same secret, so the one scanned first still works.
    const secondTab = await browser.get(url('/account/two-step'));
    expect(/id="totp-secret">([A-Z2-7]+)</.exec(secondTab.body)![1]).to.equal(secret);
    const totp = new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' });
    const wrong = await post(browser, enrol, '/account/two-step', { password: PASSWORD, code: '000000' === totp.generate() ? '111111' : '000000' });
    expect(wrong.status).to.equal(400);
    const used = (await totpCode(secret)).code;
    const done = await post(browser, wrong, '/account/two-step', { password: PASSWORD, code: used });
    expect(done.body).to.include('Your recovery codes');
    const recoveryCodes = [...done.body.matchAll(/<li>((?:[a-z2-9]{4}-){5}[a-z2-9]{4})<\/li>/g)].map((m) => m[1]!);
    expect(recoveryCodes).to.have.length(10);

    // A new browser: password, then the code. The code just used for enrolment is refused (replay).
    const replayBrowser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    const refused = await walk(replayBrowser, start.url.toString(), REDIRECT, { code: () => used });
    expect(refused.body).to.include('That code is not valid');

    const fresh = new FormBrowser();
    const viaRecovery = await appSignIn(fresh, { code: () => recoveryCodes[0]! }, 'openid');
    expect(decodeJwt(viaRecovery.id_token!)).to.include({ acr: 'urn:gatehouse:acr:two-step' });
    expect(decodeJwt(viaRecovery.id_token!).amr).to.deep.equal(['pwd', 'mfa']);
    // A recovery code works once.
    const again = new FormBrowser();
    const second = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    expect((await walk(again, second.url.toString(), REDIRECT, { code: () => recoveryCodes[0]! })).body).to.include('That code is not valid');

    // The plaintext secret is nowhere in the users table.
    const row = await server.core.database.knex('users').where({ username: 'alice' }).first();
    expect(JSON.stringify(row)).to.not.include(secret);
    expect(row.totp_secret_sealed).to.match(/^v1\./);
  });

  it('records a wrong code during enrolment and a wrong password when turning two-step off', async () => {
    const browser = new FormBrowser();
    const tokens = await appSignIn(browser, { login: 'hana' }, 'openid');
    const userId = decodeJwt(tokens.id_token!).sub!;
    const enrol = await browser.get(url('/account/two-step'));
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrol.body)![1]!;
    const totp = new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' });
    const wrongCode = await post(browser, enrol, '/account/two-step', { password: PASSWORD, code: '000000' === totp.generate() ? '111111' : '000000' });
    expect(wrongCode.status).to.equal(400);
    expect((await post(browser, wrongCode, '/account/two-step', { password: PASSWORD, code: (await totpCode(secret)).code })).body).to.include('Your recovery codes');
    const page = await accountPage(browser);
    const wrongPassword = await post(browser, page, '/two-step/disable', { password: 'not it at all' });
    expect(wrongPassword.status).to.equal(400);
    expect(wrongPassword.body).to.include('The current password is not correct.').and.include('Two-step sign-in is on');
    expect((await post(browser, wrongPassword, '/two-step/disable', { password: PASSWORD })).body).to.include('Two-step sign-in is now off.');
    await server.core.audit.flush();
    const events = await server.core.repositories.audit.query({ limit: 20, userId });
    const failures = events.filter((e) => e.outcome === 'failure').map((e) => [e.type, e.details?.reason]);
    expect(failures).to.have.deep.members([['account.two_step.enable_failed', 'wrong_code'], ['account.two_step.disable_failed', 'wrong_password']]);
    expect(events.map((e) => e.type)).to.include('account.two_step.enabled').and.include('account.two_step.disabled');
  });

  it('asks for the password again to turn two-step on: a wrong one is refused, audited and counted by the sign-in throttle', async () => {
    const browser = new FormBrowser();
    const userId = decodeJwt((await appSignIn(browser, { login: 'ivy' }, 'openid')).id_token!).sub!;
    let page = await browser.get(url('/account/two-step'));
    const totp = new TOTP({ secret: Secret.fromBase32(/id="totp-secret">([A-Z2-7]+)</.exec(page.body)![1]!), period: 30, digits: 6, algorithm: 'SHA1' });
    page = await post(browser, page, '/account/two-step', { code: totp.generate() });
    expect(page.status).to.equal(400);
    expect(page.body).to.include('The current password is not correct.');
    page = await post(browser, page, '/account/two-step', { password: 'not it at all', code: totp.generate() });
    expect(page.status).to.equal(400);
    expect((await accountPage(browser)).body).to.include('Add a second step');
    // The same limits as a sign-in (5 failures per account and address): then even the right password waits.
    for (let i = 0; i < 5 && page.status === 400; i += 1) page = await post(browser, page, '/account/two-step', { password: 'not it either', code: totp.generate() });
    const blocked = await post(browser, page, '/account/two-step', { password: PASSWORD, code: totp.generate() });
    expect(blocked.status).to.equal(429);
    expect(blocked.headers.get('retry-after')).to.match(/^\d+$/);
    expect((await accountPage(browser)).body).to.include('Add a second step');
    await server.core.audit.flush();
    const reasons = (await server.core.repositories.audit.query({ limit: 50, userId, type: 'account.two_step.enable_failed' })).map((e) => e.details?.reason);
    expect(reasons).to.include('wrong_password').and.include('throttled').and.not.include('wrong_code');
  });

  it('asks for the password again to sign out everywhere: a wrong one ends nothing', async () => {
    const laptop = new FormBrowser();
    const phone = new FormBrowser();
    await appSignIn(phone, { login: 'jack' });
    const userId = decodeJwt((await appSignIn(laptop, { login: 'jack' })).id_token!).sub!;
    const refused = await post(laptop, await accountPage(laptop), '/sessions/end-all', { password: 'not it at all' });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include('The current password is not correct.');
    expect((await post(laptop, refused, '/sessions/end-all')).status).to.equal(400);
    expect((await accountPage(laptop)).status).to.equal(200);
    expect((await accountPage(phone)).status).to.equal(200);
    expect(await server.core.userAccess.listSessions(userId)).to.have.length(2);
    await server.core.audit.flush();
    expect(await server.core.repositories.audit.query({ limit: 10, userId, type: 'account.sessions.end_failed' })).to.have.length(2);
  });

  it('signs out one other browser, with the password: its tokens end, this browser stays, another user\'s session is out of reach', async () => {
    const laptop = new FormBrowser();
    const phone = new FormBrowser();
    const phoneTokens = await appSignIn(phone, { login: 'kate' }, 'openid offline_access orders:read');
    const userId = decodeJwt((await appSignIn(laptop, { login: 'kate' })).id_token!).sub!;
    let page = await accountPage(laptop);
    // The form names the session by its uid; no cookie value of the other browser is on the page.
    const uids = [...page.body.matchAll(/name="session" value="([^"]+)"/g)].map((m) => m[1]);
    const phoneUid = (await server.core.userAccess.listSessions(userId)).map((s) => s.uid).find((uid) => uids.includes(uid))!;
    expect(uids).to.deep.equal([phoneUid]);
    for (const { value } of phone.cookieHistory.filter((c) => c.value.length >= 16)) expect(page.body).to.not.include(value);
    const action = url(formAction(page.body, '/sessions/end(?!-)'));

    page = await laptop.post(action, { csrf: hiddenField(page.body, 'csrf'), session: phoneUid, password: 'not it at all' });
    expect(page.status).to.equal(400);
    expect(page.body).to.include('The current password is not correct.');
    expect((await accountPage(phone)).status).to.equal(200);

    const bob = new FormBrowser();
    const bobId = decodeJwt((await appSignIn(bob, { login: 'bob' }, 'openid')).id_token!).sub!;
    const [bobSession] = await server.core.userAccess.listSessions(bobId);
    page = await laptop.post(action, { csrf: hiddenField(page.body, 'csrf'), session: bobSession!.uid, password: PASSWORD });
    expect(page.status).to.equal(404);
    expect(page.body).to.include('already signed out');
    expect((await accountPage(bob)).status).to.equal(200);

    page = await laptop.post(action, { csrf: hiddenField(page.body, 'csrf'), session: phoneUid, password: PASSWORD });
    expect(page.status).to.equal(200);
    expect(page.body).to.include('That browser or device is now signed out.').and.not.include('name="session"');
    expect((await accountPage(phone)).status).to.equal(302);
    expect((await accountPage(laptop)).status).to.equal(200);
    expect(await refreshRefused(phoneTokens.refresh_token!)).to.equal('invalid_grant');
    await server.core.audit.flush();
    const [ended] = await server.core.repositories.audit.query({ limit: 10, userId, type: 'account.session.ended' });
    expect(ended!.details).to.include({ session_uid: phoneUid });
  });

  it('puts amr ["pwd"] and the password acr in the ID token of a password-only sign-in', async () => {
    const tokens = await appSignIn(new FormBrowser(), { login: 'bob' }, 'openid');
    const claims = decodeJwt(tokens.id_token!);
    expect(claims.amr).to.deep.equal(['pwd']);
    expect(claims.acr).to.equal('urn:gatehouse:acr:password');
  });
});
