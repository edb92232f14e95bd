// DPoP (RFC 9449): sender-constrained access and refresh tokens. JWT access tokens carry cnf.jkt and
// introspection returns it; a client can be required to use DPoP; nonces work across instances
// because they are keyed by a shared secret; every malformed proof is refused.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oidc from 'openid-client';

import { FormBrowser } from '../helpers/browser.js';
import { accessTokenHash, dpopKey, dpopProof, unsignedProof, type DpopKey } from '../helpers/dpop.js';
import { createApi, createMachineClient, createResourceServerClient, createUser, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';
const NONCE_SECRET = randomBytes(32).toString('base64');

interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  nonce: string | null;
}

describe('DPoP (RFC 9449)', () => {
  let server: TestServer;
  let worker: { clientId: string; clientSecret: string };
  let rs: oidc.Configuration;
  let key: DpopKey;

  const tokenUrl = () => `${server.issuer}/token`;

  const clientCredentials = async (proof: string | undefined, client = worker, url = tokenUrl()): Promise<TokenAnswer> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...(proof ? { dpop: proof } : {}),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'orders:read' }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, nonce: response.headers.get('dpop-nonce') };
  };

  const refused = (answer: TokenAnswer, error = 'invalid_dpop_proof') => {
    expect(answer.status).to.equal(400);
    expect(answer.body.error).to.equal(error);
    expect(answer.body.access_token).to.equal(undefined);
  };

  before(async () => {
    server = await startTestServer({ env: { DPOP_NONCE_SECRET: NONCE_SECRET } });
    await createApi(server.core, API, ['orders:read']);
    await createUser(server.core, 'alice');
    worker = await createMachineClient(server.core, [API], 'orders:read');
    const rsClient = await createResourceServerClient(server.core, API);
    rs = await relyingParty(server.issuer, rsClient.clientId, rsClient.clientSecret);
    key = await dpopKey();
  });

  after(async () => server?.stop());

  it('advertises the DPoP signing algorithms, asymmetric only', () => {
    expect(rs.serverMetadata().dpop_signing_alg_values_supported).to.have.members(['ES256', 'PS256', 'RS256', 'EdDSA']);
  });

  it('binds a JWT access token to the key: cnf.jkt in the token and in introspection, token_type DPoP', async () => {
    const answer = await clientCredentials(await dpopProof(key, 'POST', tokenUrl()));
    expect(answer.status).to.equal(200);
    expect(answer.body.token_type).to.equal('DPoP');
    const jkt = await calculateJwkThumbprint(key.publicJwk);
    const accessToken = answer.body.access_token as string;
    expect(decodeJwt(accessToken).cnf).to.deep.equal({ jkt });
    const introspected = await oidc.tokenIntrospection(rs, accessToken);
    expect(introspected.active).to.equal(true);
    expect(introspected.cnf).to.deep.equal({ jkt });
    expect(introspected.token_type).to.equal('DPoP');
  });

  it('issues plain bearer tokens without a proof to a client that is not required to use DPoP', async () => {
    const answer = await clientCredentials(undefined);
    expect(answer.status).to.equal(200);
    expect(answer.body.token_type).to.equal('Bearer');
    expect(decodeJwt(answer.body.access_token as string).cnf).to.equal(undefined);
  });

  it('requires a proof from a client registered with dpopBoundAccessTokens', async () => {
    const { client, clientSecret } = await server.core.clients.create({
      name: 'Bound worker', apis: [API], grantTypes: ['client_credentials'], scope: 'orders:read', dpopBoundAccessTokens: true,
    });
    const bound = { clientId: client.clientId, clientSecret: clientSecret! };
    const without = await clientCredentials(undefined, bound);
    expect(without.status).to.equal(400);
    expect(without.body.error).to.equal('invalid_dpop_proof');
    expect(without.body.error_description).to.equal('this client must send a DPoP proof');
    expect(without.body.access_token).to.equal(undefined);
    const withProof = await clientCredentials(await dpopProof(key, 'POST', tokenUrl()), bound);
    expect(withProof.status).to.equal(200);
    expect(withProof.body.token_type).to.equal('DPoP');
  });

  describe('refuses malformed proofs', () => {
    it('missing htm', async () => refused(await clientCredentials(await dpopProof(key, 'POST', tokenUrl(), { omit: ['htm'] }))));
    it('wrong htm', async () => refused(await clientCredentials(await dpopProof(key, 'GET', tokenUrl()))));
    it('missing htu', async () => refused(await clientCredentials(await dpopProof(key, 'POST', tokenUrl(), { omit: ['htu'] }))));
    it('wrong htu', async () => refused(await clientCredentials(await dpopProof(key, 'POST', `${server.issuer}/token/other`))));
    it('missing iat', async () => refused(await clientCredentials(await dpopProof(key, 'POST', tokenUrl(), { omit: ['iat'] }))));
    it('missing jti', async () => refused(await clientCredentials(await dpopProof(key, 'POST', tokenUrl(), { omit: ['jti'] }))));
    it('alg none', async () => refused(await clientCredentials(unsignedProof(key, 'POST', tokenUrl()))));

    it('an iat far in the past: the client is told to use a server nonce instead', async () => {
      const answer = await clientCredentials(await dpopProof(key, 'POST', tokenUrl(), { iat: Math.floor(Date.now() / 1000) - 3600 }));
      refused(answer, 'use_dpop_nonce');
      expect(answer.nonce).to.be.a('string');
    });

    it('an iat in the future', async () => {
      const answer = await clientCredentials(await dpopProof(key, 'POST', tokenUrl(), { iat: Math.floor(Date.now() / 1000) + 3600 }));
      expect(answer.status).to.equal(400);
      expect(answer.body.access_token).to.equal(undefined);
    });

    it('a private key in the jwk header', async () => {
      const privateJwk = await exportJWK(key.privateKey);
      refused(await clientCredentials(await dpopProof(key, 'POST', tokenUrl(), { jwk: privateJwk })));
    });

    it('a header key that did not sign the proof', async () => {
      const otherKey = await dpopKey();
      refused(await clientCredentials(await dpopProof(key, 'POST', tokenUrl(), { jwk: otherKey.publicJwk })));
    });

    it('a replayed proof (same jti): invalid_dpop_proof (RFC 9449 §5)', async () => {
      const proof = await dpopProof(key, 'POST', tokenUrl());
      expect((await clientCredentials(proof)).status).to.equal(200);
      const replay = await clientCredentials(proof);
      expect(replay.status).to.equal(400);
      expect(replay.body.error).to.equal('invalid_dpop_proof');
      expect(replay.body.error_description).to.include('replayed');
      expect(replay.body.access_token).to.equal(undefined);
    });
  });

  describe('with a user: code flow, refresh and userinfo', () => {
    let app: oidc.Configuration;
    let userKey: DpopKey;
    let tokens: oidc.TokenEndpointResponse;

    before(async () => {
      const { client } = await server.core.clients.create({ name: 'SPA', redirectUris: [REDIRECT], public: true, grantTypes: ['authorization_code', 'refresh_token'] });
      app = await relyingParty(server.issuer, client.clientId);
      userKey = await dpopKey();
      const handle = oidc.getDPoPHandle(app, { privateKey: userKey.privateKey, publicKey: userKey.publicKey });
      const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid offline_access', prompt: 'consent' });
      const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT);
      tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce }, undefined, { DPoP: handle });
    });

    const userinfo = async (proof: string | undefined, scheme = 'DPoP') =>
      fetch(`${server.issuer}/me`, { headers: { authorization: `${scheme} ${tokens.access_token}`, ...(proof ? { dpop: proof } : {}) } });

    it('issues DPoP-bound tokens in the code flow', () => {
      expect(tokens.token_type.toLowerCase()).to.equal('dpop');
      expect(tokens.refresh_token).to.be.a('string');
    });

    it('accepts the token at userinfo with a proof carrying the right ath', async () => {
      const response = await userinfo(await dpopProof(userKey, 'GET', `${server.issuer}/me`, { ath: accessTokenHash(tokens.access_token) }));
      expect(response.status).to.equal(200);
    });

    it('refuses the token at userinfo without a proof, as a bearer token, or with a missing or wrong ath', async () => {
      expect((await userinfo(undefined)).status).to.be.oneOf([400, 401]);
      expect((await userinfo(undefined, 'Bearer')).status).to.be.oneOf([400, 401]);
      const noAth = await userinfo(await dpopProof(userKey, 'GET', `${server.issuer}/me`));
      expect(noAth.status).to.equal(401);
      expect(noAth.headers.get('www-authenticate')).to.include('invalid_dpop_proof');
      const wrongAth = await userinfo(await dpopProof(userKey, 'GET', `${server.issuer}/me`, { ath: accessTokenHash('something else') }));
      expect(wrongAth.status).to.equal(401);
    });

    it('refuses a replayed proof at userinfo with invalid_dpop_proof in the challenge (RFC 9449 §7.1)', async () => {
      const proof = await dpopProof(userKey, 'GET', `${server.issuer}/me`, { ath: accessTokenHash(tokens.access_token) });
      expect((await userinfo(proof)).status).to.equal(200);
      const replay = await userinfo(proof);
      expect(replay.status).to.equal(401);
      expect(replay.headers.get('www-authenticate')).to.match(/^DPoP /).and.include('error="invalid_dpop_proof"');
      expect(((await replay.json()) as { error?: string }).error).to.equal('invalid_dpop_proof');
    });

    it('refuses the token with a proof from another key', async () => {
      const thief = await dpopKey();
      const response = await userinfo(await dpopProof(thief, 'GET', `${server.issuer}/me`, { ath: accessTokenHash(tokens.access_token) }));
      expect(response.status).to.equal(401);
    });

    it('binds the refresh token of a public client to the key', async () => {
      const response = await fetch(tokenUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await dpopProof(await dpopKey(), 'POST', tokenUrl()) },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: app.clientMetadata().client_id }),
      });
      expect(response.status).to.equal(400);
      expect(((await response.json()) as { error: string }).error).to.equal('invalid_grant');
      const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token!, undefined, {
        DPoP: oidc.getDPoPHandle(app, { privateKey: userKey.privateKey, publicKey: userKey.publicKey }),
      });
      expect(refreshed.token_type.toLowerCase()).to.equal('dpop');
    });
  });

  describe('nonces across instances', () => {
    let second: TestServer;
    let stranger: TestServer;

    before(async () => {
      const env = { DPOP_NONCE_SECRET: NONCE_SECRET, DPOP_REQUIRE_NONCE: 'true' };
      second = await startTestServer({ env, testDatabase: server.testDatabase });
      stranger = await startTestServer({ env: { ...env, DPOP_NONCE_SECRET: randomBytes(32).toString('base64') }, testDatabase: server.testDatabase });
    });

    after(async () => {
      await second?.stop();
      await stranger?.stop();
    });

    it('accepts at one instance a nonce issued by another with the same secret, and not with another secret', async () => {
      const firstTry = await clientCredentials(await dpopProof(key, 'POST', `${second.issuer}/token`), worker, `${second.issuer}/token`);
      refused(firstTry, 'use_dpop_nonce');
      const nonce = firstTry.nonce!;
      expect(nonce).to.be.a('string');
      // The first instance does not require nonces but shares the secret: it issued nonces too.
      const elsewhere = await clientCredentials(await dpopProof(key, 'POST', `${second.issuer}/token`, { nonce }), worker, `${second.issuer}/token`);
      expect(elsewhere.status).to.equal(200);

      const fromFirst = (await clientCredentials(await dpopProof(key, 'POST', tokenUrl()))).nonce;
      expect(fromFirst).to.be.a('string');
      const acrossInstances = await clientCredentials(await dpopProof(key, 'POST', `${second.issuer}/token`, { nonce: fromFirst! }), worker, `${second.issuer}/token`);
      expect(acrossInstances.status).to.equal(200);

      const strangerAnswer = await clientCredentials(await dpopProof(key, 'POST', `${stranger.issuer}/token`, { nonce: fromFirst! }), worker, `${stranger.issuer}/token`);
      expect(strangerAnswer.status).to.equal(400);
      expect(strangerAnswer.body.access_token).to.equal(undefined);
    });
  });
});
