// Cookie signing keys rotate like a list: the first signs, all verify. A session signed with an old
// key survives a new first key (and is re-signed with it on the next visit); once the old key is
// removed, a session still signed only with it is over.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';
import type * as oidc from 'openid-client';

import { FormBrowser } from '../helpers/browser.js';
import { createUser, createWebClient, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';

describe(`cookie signing key rotation (${defaultKind()})`, function () {
  this.timeout(120_000);
  let testDb: TestDatabase;
  let port: number;
  let server: TestServer | undefined;
  let app: oidc.Configuration;
  const oldKey = randomBytes(32).toString('base64url');
  const newKey = randomBytes(32).toString('base64url');

  const restart = async (cookieKeys: string) => {
    await server?.stop();
    server = await startTestServer({ testDatabase: testDb, env: { PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, GATEHOUSE_COOKIE_KEYS: cookieKeys } });
    return server;
  };

  /** A silent authorization (prompt=none): a code when the session is recognised, login_required when not. */
  const silently = async (browser: FormBrowser) => {
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid', prompt: 'none' });
    const page = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    const callback = new URL(page.url);
    return callback.searchParams.get('code') ? 'signed in' : callback.searchParams.get('error');
  };

  before(async () => {
    testDb = await createTestDatabase();
    port = await freePort();
    const first = await restart(oldKey);
    await createUser(first.core, 'alice');
    const web = await createWebClient(first.core, { redirectUri: REDIRECT });
    app = await relyingParty(first.config.issuer, web.clientId, web.clientSecret);
  });

  after(async () => {
    await server?.stop();
    await testDb?.drop();
  });

  it('keeps sessions signed with the old key through a new first key, and ends them once the old key is removed', async () => {
    // Two users' browsers signed in while only the old key exists.
    const returning = new FormBrowser();
    const away = new FormBrowser();
    for (const browser of [returning, away]) {
      await signIn(browser, (await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' })).url, REDIRECT);
      expect(await silently(browser)).to.equal('signed in');
    }
    const sessionSignature = (browser: FormBrowser) => browser.cookieHistory.filter((c) => c.name === '_session.sig').at(-1)?.value;
    const signedWithOldKey = sessionSignature(returning);
    expect(signedWithOldKey).to.be.a('string');

    // A new first key: sessions signed with the old one still work, and are re-signed with the new one.
    await restart(`${newKey},${oldKey}`);
    expect(await silently(returning)).to.equal('signed in');
    expect(sessionSignature(returning)).to.be.a('string').and.not.equal(signedWithOldKey);

    // The old key removed: the browser that came back meanwhile stays signed in; the other one is out.
    await restart(newKey);
    expect(await silently(returning)).to.equal('signed in');
    expect(await silently(away)).to.equal('login_required');
  });

  it('without the new key again, the re-signed session is not recognised either (the signature is what counts)', async () => {
    const browser = new FormBrowser();
    await signIn(browser, (await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' })).url, REDIRECT);
    expect(await silently(browser)).to.equal('signed in');
    await restart(oldKey);
    expect(await silently(browser)).to.equal('login_required');
  });
});
