// OpenID Connect Back-Channel Logout: when the user signs out, every client of the session with a
// backchannel_logout_uri receives a signed logout token; deliveries retry and time out in the
// background, so a slow or broken client never holds up the user's logout.
import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';

import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { isInternalAddress } from '../../src/oidc/internal-address.js';
import { CLIENT_TOPIC } from '../../src/services/catalog.js';
import { FormBrowser } from '../helpers/browser.js';
import { createUser, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';
const ATTEMPTS = 3;

interface Receiver {
  url: string;
  tokens: string[];
  /** Requests whose sender gave up (closed the connection) before an answer. */
  abandoned: number;
  close(): Promise<void>;
}

/** A client's logout endpoint; `answer` decides the status of the n-th delivery (undefined: never answer). */
async function startReceiver(answer: (n: number) => number | undefined): Promise<Receiver> {
  const tokens: string[] = [];
  const held: ServerResponse[] = [];
  const state = { abandoned: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      const status = answer(tokens.length);
      if (status === undefined) {
        held.push(res);
        res.on('close', () => (state.abandoned += 1));
      } else res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`,
    tokens,
    get abandoned() {
      return state.abandoned;
    },
    close: async () => {
      for (const res of held) res.removeAllListeners('close').destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function eventuallyAsync(check: () => Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function eventually(check: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('back-channel logout', () => {
  let server: TestServer;
  let good: Receiver;
  let flaky: Receiver;
  let hanging: Receiver;

  const client = async (name: string, receiver: Receiver, sessionRequired: boolean) => {
    const { client: record, clientSecret } = await server.core.clients.create({
      name,
      redirectUris: [REDIRECT],
      postLogoutRedirectUris: ['http://127.0.0.1:8080/bye'],
      backchannelLogoutUri: receiver.url,
      backchannelLogoutSessionRequired: sessionRequired,
    });
    return relyingParty(server.issuer, record.clientId, clientSecret);
  };

  const outboundErrors = async () => (await server.running.gatehouse.metrics.outboundRequests.get()).values.find((v) => v.labels.outcome === 'error')?.value ?? 0;

  const signInTo = async (browser: FormBrowser, app: oidc.Configuration) => {
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    const { callback } = await signIn(browser, start.url, REDIRECT);
    return oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
  };

  before(async () => {
    server = await startTestServer({
      env: { OUTBOUND_HTTP_TIMEOUT_MS: '300', BACKCHANNEL_LOGOUT_ATTEMPTS: String(ATTEMPTS), BACKCHANNEL_LOGOUT_RETRY_DELAY_MS: '50' },
    });
    await createUser(server.core, 'alice');
    good = await startReceiver(() => 200);
    flaky = await startReceiver((n) => (n === 1 ? 500 : 204));
    hanging = await startReceiver(() => undefined);
  });

  after(async () => {
    await server?.stop();
    await Promise.all([good, flaky, hanging].map((r) => r?.close()));
  });

  it('advertises back-channel logout with sessions', async () => {
    const app = await client('Metadata reader', good, false);
    expect(app.serverMetadata().backchannel_logout_supported).to.equal(true);
    expect(app.serverMetadata().backchannel_logout_session_supported).to.equal(true);
    good.tokens.length = 0;
  });

  it('sends each client of the session a signed logout token, retrying and timing out in the background', async () => {
    const browser = new FormBrowser();
    const goodApp = await client('Good', good, true);
    const flakyApp = await client('Flaky', flaky, false);
    const hangingApp = await client('Hanging', hanging, false);
    const goodTokens = await signInTo(browser, goodApp);
    await signInTo(browser, flakyApp);
    await signInTo(browser, hangingApp);

    const endSession = oidc.buildEndSessionUrl(goodApp, { id_token_hint: goodTokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:8080/bye' });
    const confirm = await browser.get(endSession.toString());
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const done = await browser.post(`${server.issuer}/session/end/confirm`, { xsrf, logout: 'yes' });
    // The user is signed out and sent on although one client never answers.
    expect(done.status).to.equal(303);
    expect(done.location).to.match(/^http:\/\/127\.0\.0\.1:8080\/bye/);
    await eventually(() => hanging.tokens.length >= 1, 'the hanging client to be called');

    await eventually(() => good.tokens.length === 1, 'the logout token');
    const idToken = decodeJwt(goodTokens.id_token!);
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(good.tokens[0]!, jwks, {
      issuer: server.issuer,
      audience: goodApp.clientMetadata().client_id,
      requiredClaims: ['iat', 'jti', 'events', 'sid'],
    });
    expect(protectedHeader.typ).to.equal('logout+jwt');
    expect(payload.sub).to.equal(idToken.sub);
    expect(payload.sid).to.equal(idToken.sid);
    expect(payload.events).to.deep.equal({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload.nonce).to.equal(undefined);

    // A 500 is retried with the same token; the second delivery succeeds and nothing more is sent.
    await eventually(() => flaky.tokens.length === 2, 'the retry');
    expect(flaky.tokens[1]).to.equal(flaky.tokens[0]);
    expect(decodeJwt(flaky.tokens[0]!).sid).to.equal(undefined);

    // A client that never answers is given up on after the configured number of attempts.
    await eventually(() => hanging.tokens.length === ATTEMPTS, 'every attempt at the hanging client');
    await server.running.gatehouse.logoutSender.idle();
    expect(hanging.tokens.length).to.equal(ATTEMPTS);
    expect(flaky.tokens.length).to.equal(2);
  });

  it('signs the user out while a client still has not answered (the logout never waits for delivery)', async () => {
    const slow = await startTestServer({ env: { OUTBOUND_HTTP_TIMEOUT_MS: '20000', BACKCHANNEL_LOGOUT_ATTEMPTS: '1' }, testDatabase: server.testDatabase });
    const silent = await startReceiver(() => undefined);
    try {
      const { client: record, clientSecret } = await slow.core.clients.create({
        name: 'Silent', redirectUris: [REDIRECT], postLogoutRedirectUris: ['http://127.0.0.1:8080/bye'], backchannelLogoutUri: silent.url,
      });
      const app = await relyingParty(slow.issuer, record.clientId, clientSecret);
      const browser = new FormBrowser();
      const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
      const { callback } = await signIn(browser, start.url, REDIRECT);
      const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      const confirm = await browser.get(oidc.buildEndSessionUrl(app, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:8080/bye' }).toString());
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
      const done = await browser.post(`${slow.issuer}/session/end/confirm`, { xsrf, logout: 'yes' });
      expect(done.status).to.equal(303);
      await eventually(() => silent.tokens.length === 1, 'the delivery');
      // Had the logout waited for the client, the request would have been given up (timed out) by now.
      expect(silent.abandoned).to.equal(0);
    } finally {
      await slow.stop();
      await silent.close();
    }
  });

  it('notifies the clients of a session ended from the admin API or the account page', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      const app = await client('Ended elsewhere', receiver, true);
      const tokens = await signInTo(new FormBrowser(), app);
      const idToken = decodeJwt(tokens.id_token!);
      const ended = await server.core.userAccess.endSessions(idToken.sub!);
      expect(ended).to.be.at.least(1);
      await eventually(() => receiver.tokens.length === 1, 'the logout token');
      const { payload } = await jwtVerify(receiver.tokens[0]!, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, audience: app.clientMetadata().client_id });
      expect(payload).to.include({ sub: idToken.sub, sid: idToken.sid });
    } finally {
      await receiver.close();
    }
  });

  it('never contacts a dynamically registered client\'s logout URI whose host name resolves to an internal address', async function () {
    // This machine's own name resolves to one of its addresses (loopback here); skip where it does not.
    const resolved = await lookup(hostname(), { all: true });
    if (!resolved.some(({ address }) => isInternalAddress(address))) this.skip();
    const receiver = await startReceiver(() => 200);
    try {
      const byName = new URL(receiver.url);
      byName.hostname = hostname();
      const app = await client('Registered by anyone', receiver, true);
      const clientId = app.clientMetadata().client_id;
      // As a dynamic registration would have stored it: registration refuses IP literals and localhost
      // up front, so the URL names the host.
      await server.testDatabase.database
        .knex('clients')
        .where({ client_id: clientId })
        .update({ dynamic: true, metadata: server.testDatabase.database.knex.raw(`jsonb_set(metadata, '{backchannel_logout_uri}', to_jsonb(?::text))`, [byName.toString()]) });
      await server.core.feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null });
      await eventuallyAsync(async () => (await server.core.catalog.client(clientId))?.dynamic === true, 'the client to be seen as registered dynamically');
      expect((await server.core.catalog.client(clientId))?.metadata.backchannel_logout_uri).to.equal(byName.toString());
      const errorsBefore = await outboundErrors();
      const tokens = await signInTo(new FormBrowser(), app);
      expect(await server.core.userAccess.endSessions(decodeJwt(tokens.id_token!).sub!)).to.be.at.least(1);
      await eventuallyAsync(async () => (await outboundErrors()) >= errorsBefore + ATTEMPTS, 'every attempt to fail');
      expect(receiver.tokens).to.deep.equal([]);
    } finally {
      await receiver.close();
    }
  });

  it('refuses a backchannel_logout_uri that is plain http on a public host', async () => {
    let failure: unknown;
    try {
      await server.core.clients.create({ name: 'Insecure', redirectUris: [REDIRECT], backchannelLogoutUri: 'http://rp.example.com/logout' });
    } catch (error) {
      failure = error;
    }
    expect(JSON.stringify((failure as { details?: unknown }).details)).to.include('backchannelLogoutUri');
  });
});
