// "A dump of the database gives an attacker no usable credential", and neither do the logs: real
// flows create clients, users, codes, tokens and sessions; then the whole database (pg_dump on a
// Postgres server) and every log line are searched for each secret value the test saw.
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';

import { expect } from 'chai';
import * as oidc from 'openid-client';
import { Secret } from 'otpauth';

import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/services/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { FormBrowser, formAction, hiddenField } from '../helpers/browser.js';
import { dumpDatabase } from '../helpers/database-dump.js';
import {
  PASSWORD,
  createApi,
  createMachineClient,
  createResourceServerClient,
  createUser,
  createWebClient,
  relyingParty,
  signIn,
  startAuthorization,
} from '../helpers/fixtures.js';
import { TEST_SECRETS, testConfig } from '../helpers/test-config.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';
import { freePort } from '../helpers/test-server.js';
import { totpCode } from '../helpers/totp.js';

const API = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

describe(`no usable credential in a database dump or in the logs (${defaultKind()})`, function () {
  this.timeout(120_000);
  let testDb: TestDatabase;
  let running: RunningServer;
  let config: Config;
  let logs = '';
  /** name → value of every secret this test saw. */
  const secrets = new Map<string, string>();
  const remember = (name: string, value: string | undefined) => {
    if (value) secrets.set(`${name} #${secrets.size}`, value);
  };

  before(async () => {
    testDb = await createTestDatabase();
    const port = await freePort();
    config = testConfig({ PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, DYNAMIC_REGISTRATION: 'token' });
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    // Everything the server logs, at the most talkative level.
    running = await startServer({ config, logger: createLogger({ level: 'trace', destination: sink }), database: testDb.database });
    const core = running.gatehouse.core;
    const issuer = config.issuer;

    await createApi(core, API, ['orders:read']);
    await createUser(core, 'alice');
    remember('password', PASSWORD);
    const web = await createWebClient(core, { redirectUri: REDIRECT, apis: [API] });
    remember('client secret (web)', web.clientSecret);
    const machine = await createMachineClient(core, [API]);
    remember('client secret (machine)', machine.clientSecret);
    const rs = await createResourceServerClient(core, API);
    remember('client secret (resource server)', rs.clientSecret);
    const app = await relyingParty(issuer, web.clientId, web.clientSecret);
    const api = await relyingParty(issuer, rs.clientId, rs.clientSecret);
    const worker = await relyingParty(issuer, machine.clientId, machine.clientSecret);

    // Authorization code + PKCE with refresh tokens, then a refresh (rotation).
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid profile offline_access orders:read', resource: API, prompt: 'consent' });
    remember('PKCE verifier', start.verifier);
    const { callback } = await signIn(browser, start.url, REDIRECT);
    remember('authorization code', callback.searchParams.get('code')!);
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    remember('access token', tokens.access_token);
    remember('id token', tokens.id_token);
    remember('refresh token', tokens.refresh_token);
    expect((await oidc.tokenIntrospection(api, tokens.access_token)).active).to.equal(true);
    const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token!);
    remember('rotated refresh token', refreshed.refresh_token);
    remember('refreshed access token', refreshed.access_token);

    // An opaque access token (userinfo only), in a second sign-in on the existing session.
    const second = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid profile' });
    const secondCallback = (await signIn(browser, second.url, REDIRECT)).callback;
    remember('authorization code', secondCallback.searchParams.get('code')!);
    const opaque = await oidc.authorizationCodeGrant(app, secondCallback, { pkceCodeVerifier: second.verifier, expectedState: second.state, expectedNonce: second.nonce });
    expect(opaque.access_token.split('.')).to.have.length(1);
    remember('opaque access token', opaque.access_token);
    expect((await oidc.fetchUserInfo(app, opaque.access_token, opaque.claims()!.sub)).sub).to.equal(opaque.claims()!.sub);

    // Client credentials.
    remember('client credentials token', (await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: API })).access_token);

    // Failures must not log what was presented either.
    const failing = new FormBrowser();
    const third = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    const loginPage = await failing.follow(await failing.get(third.url.toString()), REDIRECT);
    const wrongPassword = 'a wrong but secret password';
    remember('wrong password', wrongPassword);
    await failing.post(new URL(formAction(loginPage.body, '/login'), loginPage.url).toString(), { csrf: hiddenField(loginPage.body, 'csrf'), login: 'alice', password: wrongPassword });
    const wrongSecret = 'wrong-secret-0123456789abcdefghijklmnopqrstuv';
    remember('wrong client secret', wrongSecret);
    const badClient = await relyingParty(issuer, machine.clientId, wrongSecret);
    await oidc.clientCredentialsGrant(badClient, { scope: 'orders:read' }).catch(() => undefined);

    // Dynamic registration (RFC 7591/7592) with an initial access token: a client secret and a
    // registration access token come back, and the client reads itself with the latter.
    const initial = (await core.registrationTokens.create({ description: 'dump test' })).token;
    remember('initial access token (gatehouse registration-tokens)', initial);
    const registration = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${initial}` },
      body: JSON.stringify({ client_name: 'Dumped', redirect_uris: ['https://dumped.example.com/cb'] }),
    });
    expect(registration.status).to.equal(201);
    const registered = (await registration.json()) as { client_secret: string; registration_access_token: string; registration_client_uri: string };
    remember('client secret (dynamically registered)', registered.client_secret);
    remember('registration access token', registered.registration_access_token);
    const readBack = await fetch(registered.registration_client_uri, { headers: { authorization: `Bearer ${registered.registration_access_token}` } });
    expect(readBack.status).to.equal(200);

    // The library's own registration and initial access token models, stored through the adapter.
    const provider = running.gatehouse.provider;
    remember('initial access token', await new provider.InitialAccessToken({}).save());
    // (The library's types omit the constructor every BaseToken has.)
    const RegistrationAccessToken = provider.RegistrationAccessToken as unknown as new (p: { clientId: string }) => { save(): Promise<string> };
    remember('registration access token', await new RegistrationAccessToken({ clientId: web.clientId }).save());

    // Two-step sign-in: the TOTP secret (sealed under the KEK) and the recovery codes (hashed).
    const alice = await core.users.show('alice');
    const enrolment = await core.twoStep.begin(alice.id, 'alice', 'session-1');
    remember('TOTP secret (base32)', enrolment.secret);
    remember('TOTP secret (hex)', Secret.fromBase32(enrolment.secret).hex);
    remember('TOTP otpauth URI', enrolment.otpauthUri);
    const recoveryCodes = await core.twoStep.confirm(alice.id, (await totpCode(enrolment.secret)).code, 'session-1');
    expect(recoveryCodes).to.have.length(10);
    for (const code of recoveryCodes!) {
      remember('recovery code', code);
      remember('recovery code', code.replaceAll('-', ''));
    }

    // Session, interaction and resume cookies (and their signatures).
    for (const b of [browser, failing]) for (const { value } of b.cookieHistory) remember('cookie value', value);

    // Private key material and the server's own secrets.
    for (const { privateJwk } of (await core.signingKeys.load()).entries) {
      for (const parameter of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) remember(`private key ${parameter}`, privateJwk[parameter]);
    }
    const kek = Buffer.from(TEST_SECRETS.GATEHOUSE_KEK, 'base64');
    remember('KEK (base64)', TEST_SECRETS.GATEHOUSE_KEK);
    remember('KEK (base64url)', kek.toString('base64url'));
    remember('KEK (hex)', kek.toString('hex'));
    remember('pepper', TEST_SECRETS.GATEHOUSE_PEPPER);
    remember('cookie key', TEST_SECRETS.GATEHOUSE_COOKIE_KEYS);
    await core.audit.close();
  });

  after(async () => {
    await running?.stop(2000);
    await testDb?.drop();
  });

  it('saw every kind of secret it looks for', () => {
    const kinds = new Set([...secrets.keys()].map((k) => k.replace(/ #\d+$/, '')));
    for (const kind of ['refresh token', 'rotated refresh token', 'authorization code', 'opaque access token', 'cookie value', 'private key d', 'private key qi', 'initial access token', 'registration access token', 'TOTP secret (base32)', 'recovery code']) {
      expect(kinds, kind).to.include(kind);
    }
    expect(secrets.size).to.be.greaterThan(30);
  });

  it('finds none of them in a dump of the whole database, which does hold the data', async () => {
    const dump = await dumpDatabase(testDb);
    // The dump is real: the user, the clients and the stored (hashed) refresh token are in it.
    expect(dump).to.include('alice@example.com');
    expect(dump).to.include('user_recovery_codes');
    const refreshToken = [...secrets].find(([k]) => k.startsWith('refresh token'))![1];
    expect(dump).to.include(createHash('sha256').update(refreshToken).digest('base64url'));
    const leaked = [...secrets].filter(([, value]) => dump.includes(value)).map(([name]) => name);
    expect(leaked).to.deep.equal([]);
  });

  it('finds none of them in the logs, which do record the requests', () => {
    expect(logs).to.include('"msg":"request"').and.include('/token');
    const leaked = [...secrets].filter(([, value]) => logs.includes(value)).map(([name]) => name);
    expect(leaked).to.deep.equal([]);
  });
});
