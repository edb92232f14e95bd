// Sign-in session lifetime (ASVS 5.0 V7.3.1, V7.3.2): SESSION_TTL is absolute, counted from sign-in,
// and use does not extend it; SESSION_IDLE_TTL ends a session left unused. Real waits against short
// limits (8 s absolute, 4 s idle), each checked with seconds of margin either side.
import { expect } from 'chai';
import type * as oidc from 'openid-client';

import { FormBrowser } from '../helpers/browser.js';
import { createUser, createWebClient, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';
const ABSOLUTE = 8;
const IDLE = 4;

interface StoredSession {
  loginTs: number;
  exp: number;
  expiresAt: Date;
}

describe('session lifetime: absolute from sign-in, idle timeout', function () {
  this.timeout(120_000);
  let server: TestServer;
  let app: oidc.Configuration;
  const userIds = new Map<string, string>();

  before(async () => {
    server = await startTestServer({ env: { SESSION_TTL: String(ABSOLUTE), SESSION_IDLE_TTL: `${IDLE}s` } });
    for (const name of ['absolute', 'idle', 'within', 'again', 'outlived']) userIds.set(name, (await createUser(server.core, name)).id);
    const web = await createWebClient(server.core, { redirectUri: REDIRECT });
    app = await relyingParty(server.issuer, web.clientId, web.clientSecret);
  });

  after(async () => server?.stop());

  const nowSeconds = () => Date.now() / 1000;
  const sleepUntil = async (epochSeconds: number) => {
    const ms = epochSeconds * 1000 - Date.now();
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  };

  const signInAs = async (login: string, prompt?: string, browser = new FormBrowser()) => {
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt });
    const { callback } = await signIn(browser, start.url, REDIRECT, { login });
    expect(callback.searchParams.get('code'), 'code after sign-in').to.be.a('string');
    return browser;
  };

  /** A silent authorization (prompt=none): 'signed in' when the session is recognised, else the error. */
  const silently = async (browser: FormBrowser) => {
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'none' });
    const callback = new URL((await browser.follow(await browser.get(start.url.toString()), REDIRECT)).url);
    return callback.searchParams.get('code') ? 'signed in' : callback.searchParams.get('error');
  };

  /** The user's live session row (there is one: signing in again replaces the session id). */
  const storedSession = async (username: string): Promise<StoredSession> => {
    const rows = (await server.testDatabase.database
      .knex('oidc_models')
      .where({ model: 'Session', account_id: userIds.get(username) })
      .andWhere('expires_at', '>', new Date())) as { payload: { loginTs: number; exp: number }; expires_at: Date }[];
    expect(rows, 'live sessions').to.have.length(1);
    return { loginTs: rows[0]!.payload.loginTs, exp: rows[0]!.payload.exp, expiresAt: rows[0]!.expires_at };
  };

  /** What a use may extend a session to: idle time from now, never past sign-in + SESSION_TTL. */
  const expectBounded = (session: StoredSession, usedAt: number) => {
    const limit = Math.min(usedAt + IDLE, session.loginTs + ABSOLUTE);
    expect(session.exp, 'payload exp').to.be.at.most(Math.ceil(limit));
    // The row's expiry is computed from the same ttl a fraction of a second later.
    expect(session.expiresAt.getTime() / 1000, 'row expires_at').to.be.at.most(Math.ceil(limit) + 1);
  };

  it('ends SESSION_TTL after sign-in however often the session is used', async () => {
    const browser = await signInAs('absolute');
    const { loginTs } = await storedSession('absolute');
    // Used every 2 s, well within the idle timeout: each use keeps it alive but never past loginTs + 8.
    for (const offset of [2, 4, 6]) {
      await sleepUntil(loginTs + offset);
      const usedAt = nowSeconds();
      expect(await silently(browser), `prompt=none at +${offset} s`).to.equal('signed in');
      expectBounded(await storedSession('absolute'), usedAt);
    }
    expect((await browser.get(`${server.issuer}/account`)).status, 'account page while signed in').to.equal(200);

    // Last use at +6 s: the idle timeout alone would keep it until +10 s; the absolute lifetime ends it at +8 s.
    await sleepUntil(loginTs + ABSOLUTE + 1);
    expect(await silently(browser)).to.equal('login_required');
    const account = await browser.get(`${server.issuer}/account`);
    expect(account.status).to.equal(302);
    expect(account.location).to.equal('/account/login');
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    expect((await browser.follow(await browser.get(start.url.toString()), REDIRECT)).body).to.include('name="password"');
  });

  it('ends a session unused for SESSION_IDLE_TTL', async () => {
    const browser = await signInAs('idle');
    const { loginTs } = await storedSession('idle');
    // Saved last at the end of the sign-in, with 4 s to live; the 8 s absolute lifetime is far off.
    await sleepUntil(loginTs + IDLE + 2);
    expect(await silently(browser)).to.equal('login_required');
  });

  it('keeps a session used within both limits, each use extending it by the idle time', async () => {
    const browser = await signInAs('within');
    const { loginTs } = await storedSession('within');
    await sleepUntil(loginTs + 2);
    const usedAt = nowSeconds();
    expect(await silently(browser)).to.equal('signed in');
    const session = await storedSession('within');
    expectBounded(session, usedAt);
    expect(session.exp, 'extended by the use').to.be.at.least(Math.floor(usedAt) + IDLE - 1);
    // Past the idle time counted from sign-in, but not from the last use.
    await sleepUntil(loginTs + IDLE + 1);
    expect(await silently(browser)).to.equal('signed in');
  });

  it('starts the absolute lifetime again when the user signs in again (prompt=login)', async () => {
    const browser = await signInAs('again');
    const first = await storedSession('again');
    await sleepUntil(first.loginTs + 3);
    expect(await silently(browser)).to.equal('signed in');
    await sleepUntil(first.loginTs + 5);
    await signInAs('again', 'login', browser);
    const renewed = await storedSession('again');
    expect(renewed.loginTs, 'loginTs after signing in again').to.be.above(first.loginTs);
    expectBounded(renewed, renewed.loginTs);
    // Used within the idle time after the second sign-in, so that only the absolute lifetime is in question below.
    await sleepUntil(renewed.loginTs + IDLE - 2);
    expect(await silently(browser)).to.equal('signed in');
    // Past the first sign-in's end, within the second's.
    await sleepUntil(Math.max(first.loginTs + ABSOLUTE + 1, renewed.loginTs + IDLE - 1));
    expect(await silently(browser)).to.equal('signed in');
  });

  it('refuses a session whose sign-in is older than SESSION_TTL even while its row is still live', async () => {
    const browser = await signInAs('outlived');
    // As a session saved in the last second of its lifetime is (oidc-provider's least ttl is 1 s).
    await server.testDatabase.database
      .knex('oidc_models')
      .where({ model: 'Session', account_id: userIds.get('outlived') })
      .update({ payload: server.testDatabase.database.knex.raw(`jsonb_set(payload, '{loginTs}', to_jsonb(?::bigint))`, [Math.floor(nowSeconds()) - ABSOLUTE - 1]) });
    expect(await silently(browser)).to.equal('login_required');
  });
});
