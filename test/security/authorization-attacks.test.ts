// Attacks on the authorization endpoint: redirect URI tampering (never a redirect to an
// unregistered place), implicit response types, PKCE missing / plain / downgraded, and
// reflected XSS in the error page.
import { expect } from 'chai';

import { FormBrowser } from '../helpers/browser.js';
import { createApi, createUser, signIn } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { basicAuth, pkce, postForm, send, type Answer } from './support.js';

const API = 'https://api.example.com';
const REDIRECT = 'https://app.example.com/callback';
const OTHER_REDIRECT = 'https://app.example.com/other';

describe('security: the authorization endpoint', () => {
  let server: TestServer;
  let client: { clientId: string; clientSecret: string };
  let twoUris: { clientId: string };

  const authorize = (params: Record<string, string>, accept = 'text/html'): Promise<Answer> =>
    send(`${server.issuer}/auth?${new URLSearchParams(params).toString()}`, { headers: { accept } });

  const valid = () => ({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid read', code_challenge: pkce().challenge, code_challenge_method: 'S256', state: 's1' });

  /** The error page: a 400 HTML page, no Location header, the error code shown. */
  function expectErrorPage(answer: Answer, code: string) {
    expect(answer.status).to.equal(400);
    expect(answer.location).to.equal(undefined);
    expect(answer.headers.get('content-type')).to.match(/^text\/html/);
    expect(answer.text).to.include(code);
  }

  /** An error redirected to the registered redirect URI, with state and iss. */
  function expectRedirectError(answer: Answer, code: string) {
    expect(answer.status).to.equal(303);
    expect(`${answer.location!.origin}${answer.location!.pathname}`).to.equal(REDIRECT);
    expect(answer.location!.searchParams.get('error')).to.equal(code);
    expect(answer.location!.searchParams.get('state')).to.equal('s1');
    expect(answer.location!.searchParams.get('iss')).to.equal(server.issuer);
  }

  before(async () => {
    server = await startTestServer();
    await createApi(server.core, API, ['read']);
    await createUser(server.core);
    const created = await server.core.clients.create({ name: 'App', redirectUris: [REDIRECT], apis: [API] });
    client = { clientId: created.client.clientId, clientSecret: created.clientSecret! };
    const two = await server.core.clients.create({ name: 'Two', redirectUris: [REDIRECT, OTHER_REDIRECT], apis: [API] });
    twoUris = { clientId: two.client.clientId };
  });
  after(async () => server?.stop());

  describe('redirect URI', () => {
    const cases: [string, string][] = [
      ['unregistered', 'https://evil.example.com/callback'],
      ['prefix-matched', 'https://app.example.com/callback/more'],
      ['suffix-matched', 'https://app.example.com/callbac'],
      ['with an extra query', `${REDIRECT}?next=https://evil.example.com`],
      ['case-changed', 'https://app.example.com/Callback'],
      ['case-changed host', 'https://APP.example.com/callback'],
      ['with a fragment', `${REDIRECT}#x`],
      ['userinfo trick', 'https://app.example.com@evil.example.com/callback'],
    ];
    for (const [name, uri] of cases) {
      it(`${name}: error page, no Location header`, async () => {
        expectErrorPage(await authorize({ ...valid(), redirect_uri: uri }), 'invalid_redirect_uri');
      });
    }

    it('missing with two registered: error page, no Location header', async () => {
      const params: Record<string, string> = { ...valid(), client_id: twoUris.clientId };
      delete params.redirect_uri;
      expectErrorPage(await authorize(params), 'invalid_request');
    });

    it('missing with one registered: error page too (always required)', async () => {
      const params: Record<string, string> = valid();
      delete params.redirect_uri;
      expectErrorPage(await authorize(params), 'invalid_request');
    });

    it('unknown client: error page, no Location header', async () => {
      expectErrorPage(await authorize({ ...valid(), client_id: 'no-such-client', redirect_uri: 'https://evil.example.com/' }), 'invalid_client');
    });
  });

  describe('response types', () => {
    for (const responseType of ['token', 'id_token token', 'id_token', 'code token', 'code id_token']) {
      it(`response_type=${responseType} → unsupported_response_type`, async () => {
        const answer = await authorize({ ...valid(), response_type: responseType, nonce: 'n' });
        // Redirected to the registered redirect URI (in the fragment, these types' response mode), never with a token.
        expect(answer.status).to.equal(303);
        expect(`${answer.location!.origin}${answer.location!.pathname}`).to.equal(REDIRECT);
        const params = new URLSearchParams(answer.location!.hash.slice(1) || answer.location!.search);
        expect(params.get('error')).to.equal('unsupported_response_type');
        expect(params.has('access_token') || params.has('id_token') || params.has('code')).to.equal(false);
      });
    }
  });

  describe('PKCE', () => {
    it('missing → invalid_request', async () => {
      const params: Record<string, string> = valid();
      delete params.code_challenge;
      delete params.code_challenge_method;
      expectRedirectError(await authorize(params), 'invalid_request');
    });

    it('plain → invalid_request', async () => {
      expectRedirectError(await authorize({ ...valid(), code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }), 'invalid_request');
    });

    it('no method (plain by default) → invalid_request', async () => {
      const params: Record<string, string> = valid();
      delete params.code_challenge_method;
      expectRedirectError(await authorize(params), 'invalid_request');
    });

    async function codeFor(challenge: string): Promise<string> {
      const browser = new FormBrowser();
      const url = new URL(`${server.issuer}/auth?${new URLSearchParams({ ...valid(), code_challenge: challenge }).toString()}`);
      const { callback } = await signIn(browser, url, REDIRECT);
      return callback.searchParams.get('code')!;
    }

    const exchange = (code: string, extra: Record<string, string>) =>
      postForm(`${server.issuer}/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...extra }, { authorization: basicAuth(client.clientId, client.clientSecret) });

    it('wrong verifier → invalid_grant', async () => {
      const code = await codeFor(pkce().challenge);
      const answer = await exchange(code, { code_verifier: pkce().verifier });
      expect(answer.status).to.equal(400);
      expect(answer.json?.error).to.equal('invalid_grant');
    });

    it('downgraded (challenge sent, no verifier at the token endpoint) → invalid_grant', async () => {
      const code = await codeFor(pkce().challenge);
      const answer = await exchange(code, {});
      expect(answer.status).to.equal(400);
      expect(answer.json?.error).to.equal('invalid_grant');
    });

    it('the verifier itself as the verifier of a plain challenge → invalid_grant', async () => {
      const { verifier, challenge } = pkce();
      const code = await codeFor(challenge);
      const answer = await exchange(code, { code_verifier: challenge });
      expect(answer.json?.error).to.equal('invalid_grant');
      expect(verifier).to.not.equal(challenge);
    });
  });

  describe('reflected input', () => {
    const XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", 'javascript:alert(1)'];

    it('comes back escaped in every reflected field of the error page', async () => {
      for (const payload of XSS) {
        for (const field of ['client_id', 'redirect_uri', 'scope', 'state', 'response_type', 'nonce', 'prompt', 'login_hint', 'ui_locales', 'code_challenge_method']) {
          const answer = await authorize({ ...valid(), [field]: payload });
          expect(answer.status, `${field}=${payload}`).to.be.within(300, 499);
          expect(answer.text, `${field}=${payload}`).to.not.include(payload.startsWith('javascript') ? 'href="javascript' : payload);
          // Redirects go only to the registered redirect URI or to Gatehouse's own sign-in pages.
          if (answer.location) expect([REDIRECT, `${server.issuer}/interaction`]).to.include(`${answer.location.origin}${answer.location.pathname}`.replace(/\/interaction\/.*$/, '/interaction'));
        }
      }
    });

    it('comes back escaped on the sign-in page (login_hint, ui_locales, client-supplied names)', async () => {
      for (const payload of XSS) {
        const browser = new FormBrowser();
        const start = await browser.get(`${server.issuer}/auth?${new URLSearchParams({ ...valid(), login_hint: payload, ui_locales: payload, state: payload }).toString()}`);
        const page = await browser.follow(start, REDIRECT);
        expect(page.status, payload).to.equal(200);
        expect(page.body, payload).to.include('name="password"');
        expect(page.body, payload).to.not.include(payload.startsWith('javascript') ? 'href="javascript' : payload);
      }
      const hostile = await server.core.clients.create({ name: '<script>alert(1)</script>"><img src=x onerror=alert(2)>', redirectUris: [REDIRECT], apis: [API] });
      const browser = new FormBrowser();
      const start = await browser.get(`${server.issuer}/auth?${new URLSearchParams({ ...valid(), client_id: hostile.client.clientId }).toString()}`);
      const page = await browser.follow(start, REDIRECT);
      expect(page.body).to.include('name="password"');
      expect(page.body).to.not.include('<script>alert(1)');
      expect(page.body).to.not.include('<img src=x');
      expect(page.body).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it('in a path comes back escaped (404 page)', async () => {
      const answer = await send(`${server.issuer}/${encodeURIComponent('<script>alert(1)</script>')}`, { headers: { accept: 'text/html' } });
      expect(answer.status).to.equal(404);
      expect(answer.text).to.not.include('<script>alert(1)</script>');
    });

    it('in the error page of a client-less request is escaped', async () => {
      const answer = await authorize({ client_id: '<b>x</b>', response_type: 'code' });
      expect(answer.status).to.equal(400);
      expect(answer.text).to.not.include('<b>x</b>');
    });
  });
});
