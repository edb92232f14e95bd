// The device authorization grant (RFC 8628): a TV or CLI shows a code, the user enters it on the
// verification page, confirms the device, signs in, and the device polls for its tokens. Wrong
// codes are limited per client address.
import { PassThrough, Readable } from 'node:stream';

import { expect } from 'chai';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';

import { runCli } from '../../src/cli/run.js';
import { DEVICE_CODE_GRANT } from '../../src/schemas/client.js';
import { FormBrowser, formAction, hiddenField, type Page } from '../helpers/browser.js';
import { PASSWORD, createApi, createUser, relyingParty } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://media.example.com';
const ATTEMPTS = 3;

/** Walks from the device confirmation through login and consent to the final page. */
async function approveOnDevicePage(browser: FormBrowser, confirmPage: Page): Promise<Page> {
  let page = await browser.post(new URL(formAction(confirmPage.body, '/device'), confirmPage.url).toString(), {
    xsrf: hiddenField(confirmPage.body, 'xsrf'),
    user_code: hiddenField(confirmPage.body, 'user_code'),
    confirm: 'yes',
  });
  for (let step = 0; step < 8; step += 1) {
    page = await browser.follow(page, 'never:');
    if (page.body.includes('name="password"')) {
      page = await browser.post(new URL(formAction(page.body, '/login'), page.url).toString(), { csrf: hiddenField(page.body, 'csrf'), login: 'alice', password: PASSWORD });
    } else if (page.body.includes('/confirm"')) {
      page = await browser.post(new URL(formAction(page.body, '/confirm'), page.url).toString(), { csrf: hiddenField(page.body, 'csrf') });
    } else {
      return page;
    }
  }
  throw new Error('device approval did not finish');
}

describe('device authorization grant (RFC 8628)', () => {
  let server: TestServer;
  let tv: oidc.Configuration;

  const enterCode = async (browser: FormBrowser, userCode: string) => {
    const form = await browser.get(`${server.issuer}/device`);
    return browser.post(`${server.issuer}/device`, { xsrf: hiddenField(form.body, 'xsrf'), user_code: userCode });
  };

  before(async () => {
    server = await startTestServer({ env: { DEVICE_USER_CODE_ATTEMPTS: String(ATTEMPTS) } });
    await createApi(server.core, API, ['media:play']);
    await createUser(server.core, 'alice');
    const { client } = await server.core.clients.create({
      name: 'Living Room TV',
      public: true,
      apis: [API],
      grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'],
      scope: 'openid offline_access media:play',
    });
    tv = await relyingParty(server.issuer, client.clientId);
  });

  after(async () => server?.stop());

  it('advertises the device authorization endpoint and grant', () => {
    expect(tv.serverMetadata().device_authorization_endpoint).to.equal(`${server.issuer}/device/auth`);
    expect(tv.serverMetadata().grant_types_supported).to.include(DEVICE_CODE_GRANT);
  });

  it('signs the device in after the user enters and confirms the code', async () => {
    const start = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid offline_access media:play', resource: API });
    expect(start.user_code).to.match(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(start.verification_uri).to.equal(`${server.issuer}/device`);

    const browser = new FormBrowser();
    const form = await browser.get(start.verification_uri);
    expect(form.status).to.equal(200);
    expect(form.body).to.include('Connect a device').and.include('/assets/gatehouse.css').and.include('name="user_code"');
    expect(form.headers.get('content-security-policy')).to.be.a('string');

    // Users type codes in lower case and without the dash.
    const confirm = await browser.post(`${server.issuer}/device`, { xsrf: hiddenField(form.body, 'xsrf'), user_code: start.user_code.replace('-', '').toLowerCase() });
    expect(confirm.status).to.equal(200);
    expect(confirm.body).to.include('Is this your device?').and.include('Living Room TV').and.include(start.user_code);

    const done = await approveOnDevicePage(browser, confirm);
    expect(done.status).to.equal(200);
    expect(done.body).to.include('Device connected').and.include('Living Room TV');

    const tokens = await oidc.pollDeviceAuthorizationGrant(tv, start);
    expect(tokens.refresh_token).to.be.a('string');
    expect(decodeJwt(tokens.access_token)).to.include({ aud: API, scope: 'media:play' });
    expect(tokens.claims()?.sub).to.be.a('string');
  });

  it('signs a terminal in with `gatehouse device-login`', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const codeShown = new Promise<string>((resolve) => {
      stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const match = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(err);
        if (match) resolve(match[1]!);
      });
    });
    const exit = runCli(
      ['device-login', '--issuer', server.issuer, '--client-id', tv.clientMetadata().client_id, '--scope', 'openid media:play', '--resource', API, '--json'],
      { stdout, stderr, stdin: Readable.from(['']), env: {} },
    );
    const userCode = await codeShown;
    expect(err).to.include(`open ${server.issuer}/device`);
    const browser = new FormBrowser();
    await approveOnDevicePage(browser, await enterCode(browser, userCode));
    expect(await exit).to.equal(0);
    const tokens = JSON.parse(out) as { access_token: string; id_token: string };
    expect(decodeJwt(tokens.access_token)).to.include({ aud: API, scope: 'media:play' });
    expect(tokens.id_token).to.be.a('string');
  });

  it('opens verification_uri_complete with the code filled in, for the user to submit', async () => {
    const start = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const browser = new FormBrowser();
    const form = await browser.get(start.verification_uri_complete!);
    expect(form.status).to.equal(200);
    expect(form.body).to.include(`value="${start.user_code}"`).and.not.include('<script');
    const confirm = await browser.post(`${server.issuer}/device`, { xsrf: hiddenField(form.body, 'xsrf'), user_code: start.user_code });
    expect(confirm.body).to.include('Is this your device?');
  });

  it('speaks the browser\'s language, like the sign-in pages', async () => {
    const page = await new FormBrowser({ 'accept-language': 'de-DE,de;q=0.9' }).get(`${server.issuer}/device`);
    expect(page.body).to.include('lang="de"').and.include('Gerät verbinden').and.include('Gerätecode');
  });

  it('tells the device when the user cancels', async () => {
    const start = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const browser = new FormBrowser();
    const confirm = await enterCode(browser, start.user_code);
    const aborted = await browser.post(`${server.issuer}/device`, { xsrf: hiddenField(confirm.body, 'xsrf'), user_code: start.user_code, abort: 'yes' });
    expect(aborted.body).to.include('cancelled');
    let failure: unknown;
    try {
      await oidc.pollDeviceAuthorizationGrant(tv, start);
    } catch (error) {
      failure = error;
    }
    expect((failure as { error?: string }).error).to.equal('access_denied');
  });

  it('does not accept a code twice', async () => {
    const start = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const browser = new FormBrowser();
    await approveOnDevicePage(browser, await enterCode(browser, start.user_code));
    const again = await enterCode(new FormBrowser(), start.user_code);
    expect(again.body).to.include('already used');
  });

  it('names the polling interval, and tells a device polling faster slow_down (RFC 8628 §3.4, §3.5)', async () => {
    const start = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    expect(start.interval).to.equal(5);
    const poll = async () => {
      const answer = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, device_code: start.device_code, client_id: tv.clientMetadata().client_id }),
      });
      return { status: answer.status, cacheControl: answer.headers.get('cache-control'), body: (await answer.json()) as { error?: string } };
    };
    expect((await poll()).body.error).to.equal('authorization_pending');
    const tooSoon = await poll();
    expect(tooSoon.status).to.equal(400);
    expect(tooSoon.body.error).to.equal('slow_down');
    expect(tooSoon.cacheControl).to.equal('no-store');
    // Another device's code is not held back by this one's pace.
    const other = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const otherPoll = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, device_code: other.device_code, client_id: tv.clientMetadata().client_id }),
    });
    expect(((await otherPoll.json()) as { error?: string }).error).to.equal('authorization_pending');
  });

  it('tells a device polling with an expired code expired_token (RFC 8628 §3.5), not invalid_grant', async () => {
    const start = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const poll = async (deviceCode: string) => {
      const answer = await fetch(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: tv.clientMetadata().client_id }),
      });
      return ((await answer.json()) as { error?: string }).error;
    };
    // Its lifetime runs out (the shortest configurable one is a minute: moved into the past instead).
    const knex = server.testDatabase.database.knex;
    const expired = await knex('oidc_models')
      .where({ model: 'DeviceCode' })
      .whereIn('user_code', [start.user_code, start.user_code.replace(/-/g, '')])
      .update({ expires_at: knex.raw(`now() - interval '1 second'`), payload: knex.raw(`jsonb_set(payload, '{exp}', to_jsonb(extract(epoch from now())::bigint - 1))`) });
    expect(expired).to.equal(1);
    expect(await poll(start.device_code)).to.equal('expired_token');
    expect(await poll('no-such-device-code')).to.equal('invalid_grant');
  });

  it('keeps a session nobody signed in to (the code entry form\'s) for an hour, a signed-in one for its idle lifetime', async () => {
    const knex = server.testDatabase.database.knex;
    const soon = () => knex('oidc_models').where({ model: 'Session' }).andWhere('expires_at', '<', knex.raw(`now() + interval '2 hours'`)).count({ n: '*' });
    const before = Number((await soon())[0]!.n);
    const form = await fetch(`${server.issuer}/device`);
    expect(form.status).to.equal(200);
    expect(Number((await soon())[0]!.n)).to.equal(before + 1);
    // The sessions of the sign-ins earlier in this suite last the idle lifetime (SESSION_IDLE_TTL, a day).
    const signedIn = await knex('oidc_models').where({ model: 'Session' }).andWhere('expires_at', '>', knex.raw(`now() + interval '23 hours'`)).count({ n: '*' });
    expect(Number(signedIn[0]!.n)).to.be.at.least(1);
  });

  it('sends a code posted without its form\'s session back to a fresh form, never a server error', async () => {
    for (const cookie of [undefined, '_session=forged; _session.sig=forged']) {
      const answer = await fetch(`${server.issuer}/device`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
        body: 'user_code=BBBB-BBBB&xsrf=abc',
      });
      expect(answer.status, String(cookie)).to.equal(303);
      expect(new URL(answer.headers.get('location')!, server.issuer).pathname).to.equal('/device');
    }
  });

  it('sends a visit to a device sign-in\'s resume address without its session to a fresh form, never a server error', async () => {
    for (const path of ['/device/abc', '/device/auth%00', '/device/auth%zz', '/device/auth.json']) {
      for (const cookie of [undefined, '_session=forged; _session.sig=forged']) {
        for (const method of ['GET', 'HEAD']) {
          const answer = await fetch(`${server.issuer}${path}`, { method, redirect: 'manual', headers: cookie ? { cookie } : {} });
          expect(answer.status, `${method} ${path} ${String(cookie)}`).to.equal(303);
          expect(new URL(answer.headers.get('location')!, server.issuer).pathname).to.equal('/device');
        }
      }
    }
  });

  it('counts wrong codes entered all at once before checking any: no more than the limit are checked', async () => {
    // A server of its own (with its own database, so its own counters for this address).
    const fresh = await startTestServer({ env: { DEVICE_USER_CODE_ATTEMPTS: String(ATTEMPTS) } });
    try {
      const entries = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const browser = new FormBrowser();
          const form = await browser.get(`${fresh.issuer}/device`);
          return { browser, xsrf: hiddenField(form.body, 'xsrf') };
        }),
      );
      const answers = await Promise.all(entries.map(({ browser, xsrf }) => browser.post(`${fresh.issuer}/device`, { xsrf, user_code: 'BBBB-BBBB' })));
      expect(answers.filter((answer) => answer.status === 400)).to.have.length(ATTEMPTS);
      expect(answers.filter((answer) => answer.status === 429)).to.have.length(12 - ATTEMPTS);
    } finally {
      await fresh.stop();
    }
  });

  it('refuses wrong codes, then blocks the address after too many, even for a right code', async () => {
    const start = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    const browser = new FormBrowser();
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const wrong = await enterCode(browser, 'BBBB-BBBB');
      expect(wrong.status).to.equal(400);
      expect(wrong.body).to.include('not valid');
    }
    const blocked = await enterCode(browser, start.user_code);
    expect(blocked.status).to.equal(429);

    expect(blocked.headers.get('retry-after')).to.match(/^\d+$/);
    expect(blocked.body).to.include('Too many wrong codes');
    expect(blocked.body).to.not.include(start.user_code);
  });
});
