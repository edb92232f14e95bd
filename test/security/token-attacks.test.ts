// Attacks on the token, introspection and revocation endpoints: code reuse (and what it revokes),
// codes bound to their client and redirect URI, expired codes and tokens, refresh tokens of other
// clients, scope widening, replay of rotated refresh tokens, bad client authentication, forbidden
// grant types and methods, probing introspection, and revoking other clients' tokens.
import { expect } from 'chai';

import { FormBrowser } from '../helpers/browser.js';
import { createApi, createMachineClient, createResourceServerClient, createUser, signIn } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { basicAuth, pkce, postForm, send, sleep, type Answer } from './support.js';

const API = 'https://api.example.com';
const OTHER_API = 'https://other.example.com';
const REDIRECT = 'https://app.example.com/callback';
const REDIRECT_2 = 'https://app.example.com/second';

interface Client {
  clientId: string;
  clientSecret: string;
}

describe('security: tokens, introspection and revocation', () => {
  let server: TestServer;
  let app: Client;
  let otherApp: Client;
  let apiClient: Client;
  let otherApiClient: Client;
  let machine: Client;

  const token = (client: Client, params: Record<string, string>) => postForm(`${server.issuer}/token`, params, { authorization: basicAuth(client.clientId, client.clientSecret) });
  const introspect = (client: Client | undefined, value: string) =>
    postForm(`${server.issuer}/token/introspection`, { token: value }, client ? { authorization: basicAuth(client.clientId, client.clientSecret) } : {});
  const revoke = (client: Client, value: string) => postForm(`${server.issuer}/token/revocation`, { token: value }, { authorization: basicAuth(client.clientId, client.clientSecret) });
  const isActive = async (value: string) => (await introspect(apiClient, value)).json?.active === true;

  async function code(client: Client, { redirectUri = REDIRECT, scope = 'openid offline_access read' } = {}) {
    const { verifier, challenge } = pkce();
    const url = new URL(`${server.issuer}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: redirectUri, scope, code_challenge: challenge, code_challenge_method: 'S256', state: 'st', prompt: 'consent' }).toString()}`);
    const { callback } = await signIn(new FormBrowser(), url, redirectUri);
    return { code: callback.searchParams.get('code')!, verifier, redirectUri };
  }

  async function tokens(client: Client = app) {
    const c = await code(client);
    const answer = await token(client, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: c.redirectUri });
    expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
    return answer.json as { access_token: string; refresh_token: string; id_token: string };
  }

  function expectError(answer: Answer, status: number, error: string) {
    expect(answer.status, JSON.stringify(answer.json)).to.equal(status);
    expect(answer.json?.error).to.equal(error);
  }

  before(async () => {
    // No grace period: a second use of a rotated refresh token is reuse at once.
    server = await startTestServer({ env: { REFRESH_TOKEN_REUSE_GRACE: '0' } });
    await createApi(server.core, API, ['read', 'write']);
    await createApi(server.core, OTHER_API, ['other']);
    await createUser(server.core);
    const web = (name: string) =>
      server.core.clients.create({ name, redirectUris: [REDIRECT, REDIRECT_2], apis: [API], scope: 'openid offline_access read' }).then((r) => ({ clientId: r.client.clientId, clientSecret: r.clientSecret! }));
    app = await web('App');
    otherApp = await web('Other app');
    apiClient = await createResourceServerClient(server.core, API);
    otherApiClient = await createResourceServerClient(server.core, OTHER_API);
    machine = await createMachineClient(server.core, [API, OTHER_API]);
  });
  after(async () => server?.stop());

  describe('authorization codes', () => {
    it('a reused code → invalid_grant, and the tokens of its first use go inactive', async () => {
      const c = await code(app);
      const params = { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT };
      const first = await token(app, params);
      expect(first.status).to.equal(200);
      const { access_token: access, refresh_token: refresh } = first.json as { access_token: string; refresh_token: string };
      expect(await isActive(access)).to.equal(true);
      expectError(await token(app, params), 400, 'invalid_grant');
      expect(await isActive(access)).to.equal(false);
      expectError(await token(app, { grant_type: 'refresh_token', refresh_token: refresh }), 400, 'invalid_grant');
    });

    it('is bound to its client: another client → invalid_grant', async () => {
      const c = await code(app);
      expectError(await token(otherApp, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT }), 400, 'invalid_grant');
    });

    it('is bound to its redirect_uri: another registered one → invalid_grant, none → invalid_request', async () => {
      const c = await code(app);
      expectError(await token(app, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT_2 }), 400, 'invalid_grant');
      const d = await code(app);
      expectError(await token(app, { grant_type: 'authorization_code', code: d.code, code_verifier: d.verifier }), 400, 'invalid_request');
    });

    it('a made-up code → invalid_grant', async () => {
      expectError(await token(app, { grant_type: 'authorization_code', code: 'x'.repeat(43), code_verifier: pkce().verifier, redirect_uri: REDIRECT }), 400, 'invalid_grant');
    });
  });

  describe('refresh tokens', () => {
    it('of another client → invalid_grant', async () => {
      const { refresh_token } = await tokens(app);
      expectError(await token(otherApp, { grant_type: 'refresh_token', refresh_token }), 400, 'invalid_grant');
      // ...and the attempt did not hurt the owner.
      expect((await token(app, { grant_type: 'refresh_token', refresh_token })).status).to.equal(200);
    });

    it('asking for a wider scope on refresh → invalid_scope', async () => {
      const { refresh_token } = await tokens(app);
      expectError(await token(app, { grant_type: 'refresh_token', refresh_token, scope: 'openid offline_access read write' }), 400, 'invalid_scope');
    });

    it('replay of a rotated token → invalid_grant, and the whole family dies', async () => {
      const first = await tokens(app);
      const rotated = await token(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(rotated.status).to.equal(200);
      const second = rotated.json as { access_token: string; refresh_token: string };
      expect(await isActive(second.access_token)).to.equal(true);
      expectError(await token(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }), 400, 'invalid_grant');
      expect(await isActive(second.access_token)).to.equal(false);
      expect(await isActive(first.access_token)).to.equal(false);
      expectError(await token(app, { grant_type: 'refresh_token', refresh_token: second.refresh_token }), 400, 'invalid_grant');
    });
  });

  describe('client authentication and grant types', () => {
    it('a wrong secret with Basic → 401 invalid_client with WWW-Authenticate', async () => {
      const answer = await token({ clientId: machine.clientId, clientSecret: 'wrong' }, { grant_type: 'client_credentials' });
      expectError(answer, 401, 'invalid_client');
      expect(answer.headers.get('www-authenticate')).to.match(/^Basic realm=/);
    });

    it('a wrong secret in the body → 401 invalid_client', async () => {
      expectError(await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', client_id: machine.clientId, client_secret: 'wrong' }), 401, 'invalid_client');
    });

    it('an unknown client → 401 invalid_client', async () => {
      const answer = await token({ clientId: 'nobody', clientSecret: 'x' }, { grant_type: 'client_credentials' });
      expectError(answer, 401, 'invalid_client');
      expect(answer.headers.get('www-authenticate')).to.match(/^Basic realm=/);
    });

    it('no client authentication → 401 invalid_client with WWW-Authenticate', async () => {
      const answer = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' });
      expectError(answer, 401, 'invalid_client');
      expect(answer.headers.get('www-authenticate')).to.match(/^Basic realm=/);
    });

    it('a malformed Authorization header → 401 invalid_client with WWW-Authenticate (RFC 6749 §5.2)', async () => {
      const noColon = Buffer.from(machine.clientId).toString('base64');
      // The last three carry an id or secret whose form-urlencoding (RFC 6749 §2.3.1) does not decode.
      const encoded = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;
      for (const authorization of [`Basic ${noColon}`, 'Basic !!!', 'Basic  x', 'Bearer abc', encoded('%zz:secret'), encoded(`${machine.clientId}:%`), encoded('%00%ff:x')]) {
        const answer = await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials' }, { authorization });
        expectError(answer, 401, 'invalid_client');
        expect(answer.headers.get('www-authenticate'), authorization).to.match(/^Basic realm=/);
      }
    });

    it('Basic and body credentials at once → 400 invalid_request', async () => {
      expectError(await token(machine, { grant_type: 'client_credentials', client_id: machine.clientId, client_secret: machine.clientSecret }), 400, 'invalid_request');
    });

    for (const grantType of ['password', 'urn:example:unknown', 'implicit']) {
      it(`grant_type=${grantType} → unsupported_grant_type`, async () => {
        expectError(await token(machine, { grant_type: grantType, username: 'alice', password: 'x' }), 400, 'unsupported_grant_type');
      });
    }

    it('a grant type the client is not registered for → unauthorized_client', async () => {
      expectError(await token(app, { grant_type: 'client_credentials' }), 400, 'unauthorized_client');
      // And at the device authorization endpoint, for a client without the device code grant (RFC 8628 §3.2 uses RFC 6749 §5.2).
      const device = await postForm(`${server.issuer}/device/auth`, { scope: 'openid' }, { authorization: basicAuth(app.clientId, app.clientSecret) });
      expectError(device, 400, 'unauthorized_client');
    });

    it('GET (or PUT) to the token, introspection and revocation endpoints → 405 invalid_request with Allow: POST, never a token', async () => {
      for (const [method, path] of [['GET', '/token?grant_type=client_credentials'], ['PUT', '/token'], ['GET', '/token/introspection'], ['GET', '/token/revocation']]) {
        const answer = await send(`${server.issuer}${path}`, { method, headers: { authorization: basicAuth(machine.clientId, machine.clientSecret) } });
        expect(answer.status, `${method} ${path}`).to.equal(405);
        expect(answer.headers.get('allow')).to.equal('POST');
        expect(answer.json).to.deep.equal({ error: 'invalid_request', error_description: answer.json?.error_description });
        expect(answer.json).to.not.have.property('access_token');
      }
    });

    it('a JSON body to the token endpoint → 400 invalid_request', async () => {
      const answer = await send(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(machine.clientId, machine.clientSecret) },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      expectError(answer, 400, 'invalid_request');
    });
  });

  describe('introspection', () => {
    it('without authentication → 401 invalid_client', async () => {
      const { access_token } = await tokens(app);
      const answer = await introspect(undefined, access_token);
      expectError(answer, 401, 'invalid_client');
      expect(answer.json).to.not.have.property('active');
    });

    it('an unknown token → {"active": false} and nothing else', async () => {
      for (const value of ['nope', 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA', 'x'.repeat(43)]) {
        const answer = await introspect(apiClient, value);
        expect(answer.status).to.equal(200);
        expect(answer.json).to.deep.equal({ active: false });
      }
    });

    it('a revoked token → {"active": false} and nothing else', async () => {
      const { access_token } = await tokens(app);
      expect((await revoke(app, access_token)).status).to.equal(200);
      expect((await introspect(apiClient, access_token)).json).to.deep.equal({ active: false });
    });

    it('a token of another API → {"active": false} and nothing else', async () => {
      const answer = await token(machine, { grant_type: 'client_credentials', scope: 'read', resource: API });
      const value = (answer.json as { access_token: string }).access_token;
      expect((await introspect(apiClient, value)).json?.active).to.equal(true);
      expect((await introspect(otherApiClient, value)).json).to.deep.equal({ active: false });
    });
  });

  describe('revocation', () => {
    it("of another client's token has no effect", async () => {
      const { access_token, refresh_token } = await tokens(app);
      const answers = [await revoke(otherApp, access_token), await revoke(otherApp, refresh_token)];
      for (const answer of answers) expect(answer.status).to.be.oneOf([200, 400]);
      expect(await isActive(access_token)).to.equal(true);
      expect((await token(app, { grant_type: 'refresh_token', refresh_token })).status).to.equal(200);
    });

    it('without authentication → 401 invalid_client', async () => {
      expectError(await postForm(`${server.issuer}/token/revocation`, { token: 'x' }), 401, 'invalid_client');
    });
  });

  describe('expiry', () => {
    let short: TestServer;
    before(async () => {
      // 3 s for the access token: on a loaded machine more than a second can pass before the first introspection.
      short = await startTestServer({ env: { AUTHORIZATION_CODE_TTL: '1', ACCESS_TOKEN_TTL: '3' } });
    });
    after(async () => short?.stop());

    it('an expired code → invalid_grant; an expired access token → {"active": false}', async () => {
      await createApi(short.core, API, ['read']);
      await createUser(short.core);
      const created = await short.core.clients.create({ name: 'App', redirectUris: [REDIRECT], apis: [API] });
      const client = { clientId: created.client.clientId, clientSecret: created.clientSecret! };
      const rs = await createResourceServerClient(short.core, API);
      const worker = await createMachineClient(short.core, [API]);
      const { verifier, challenge } = pkce();
      const url = new URL(`${short.issuer}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid read', code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`);
      const { callback } = await signIn(new FormBrowser(), url, REDIRECT);
      const access = ((await postForm(`${short.issuer}/token`, { grant_type: 'client_credentials', scope: 'read' }, { authorization: basicAuth(worker.clientId, worker.clientSecret) })).json as { access_token: string }).access_token;
      const introspectShort = () => postForm(`${short.issuer}/token/introspection`, { token: access }, { authorization: basicAuth(rs.clientId, rs.clientSecret) });
      expect((await introspectShort()).json?.active).to.equal(true);
      // Past the lifetimes and the 5 s clock tolerance.
      await sleep(9000);
      const exchanged = await postForm(
        `${short.issuer}/token`,
        { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      );
      expectError(exchanged, 400, 'invalid_grant');
      expect((await introspectShort()).json).to.deep.equal({ active: false });
    }).timeout(30_000);
  });
});
