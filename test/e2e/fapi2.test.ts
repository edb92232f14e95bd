// The per-client FAPI 2.0 Security Profile switch, and the pieces it builds on that every client
// may use: signed request objects (JAR, RFC 9101) and signed authorization responses (JARM).
// The FAPI 2.0 negative cases: PKCE required and plain refused, code bound to its client, code
// reuse, expired code, request_uri reuse / expiry / other client, response types token and
// code id_token refused; plus PAR, DPoP and private_key_jwt enforced.
import { expect } from 'chai';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { FormBrowser } from '../helpers/browser.js';
import { createApi, createUser, createWebClient, relyingParty, signIn } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://payments.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

interface KeyedClient {
  config: oidc.Configuration;
  clientId: string;
  privateKey: CryptoKey;
}

async function keyPair() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' };
  return { privateKey, publicKey, jwks: { keys: [{ ...jwk, kid: await calculateJwkThumbprint(jwk) }] } };
}

const errorOf = (page: { url: string; body: string }) =>
  page.url.startsWith(REDIRECT) ? (new URL(page.url).searchParams.get('error') ?? new URL(page.url).searchParams.get('response') ?? '') : page.body;

describe('FAPI 2.0 Security Profile, JAR and JARM', () => {
  let server: TestServer;
  let fapi: KeyedClient;
  let plainApp: oidc.Configuration;

  const keyedClient = async (name: string, extra: Record<string, unknown>): Promise<KeyedClient> => {
    const keys = await keyPair();
    const { client } = await server.core.clients.create({
      name,
      redirectUris: [REDIRECT],
      apis: [API],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: keys.jwks as never,
      ...extra,
    });
    const config = await oidc.discovery(new URL(server.issuer), client.clientId, { token_endpoint_auth_method: 'private_key_jwt' }, oidc.PrivateKeyJwt({ key: keys.privateKey, kid: keys.jwks.keys[0]!.kid }), {
      execute: [oidc.allowInsecureRequests],
    });
    return { config, clientId: client.clientId, privateKey: keys.privateKey };
  };

  const dpop = async (config: oidc.Configuration) => oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));

  /** A FAPI 2.0 authorization: PAR with PKCE S256 and DPoP, sign-in, and the callback. */
  const authorize = async (client: KeyedClient, extra: Record<string, string> = {}) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const handle = await dpop(client.config);
    const url = await oidc.buildAuthorizationUrlWithPAR(
      client.config,
      { redirect_uri: REDIRECT, scope: 'openid payments:initiate', resource: API, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra },
      { DPoP: handle },
    );
    const browser = new FormBrowser();
    const { callback } = await signIn(browser, url, REDIRECT);
    return { callback, verifier, state, handle, url, browser };
  };

  const pushRaw = async (client: KeyedClient, params: Record<string, string>) => {
    const response = await oidc.buildAuthorizationUrlWithPAR(client.config, { redirect_uri: REDIRECT, scope: 'openid', ...params }).then(
      () => ({ error: undefined }),
      (error: { error?: string }) => ({ error: error.error }),
    );
    return response.error;
  };

  before(async () => {
    // Codes live 5 minutes here; a FAPI 2.0 client's must still live 60 seconds at most.
    server = await startTestServer({ env: { AUTHORIZATION_CODE_TTL: '300' } });
    await createApi(server.core, API, ['payments:initiate']);
    await createUser(server.core, 'alice');
    fapi = await keyedClient('Bank App', { fapiProfile: '2.0' });
    const plain = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API] });
    plainApp = await relyingParty(server.issuer, plain.clientId, plain.clientSecret);
  });

  after(async () => server?.stop());

  describe('FAPI 2.0 client', () => {
    it('is stored with PAR and DPoP forced on', async () => {
      const record = await server.core.clients.show(fapi.clientId);
      expect(record.metadata).to.include({ fapi_profile: '2.0', require_pushed_authorization_requests: true, dpop_bound_access_tokens: true, token_endpoint_auth_method: 'private_key_jwt' });
    });

    it('completes the flow: PAR, PKCE S256, private_key_jwt, DPoP-bound tokens', async () => {
      const { callback, verifier, state, handle } = await authorize(fapi);
      expect(callback.searchParams.get('iss')).to.equal(server.issuer);
      const tokens = await oidc.authorizationCodeGrant(fapi.config, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP: handle });
      expect(tokens.token_type.toLowerCase()).to.equal('dpop');
      expect(decodeJwt(tokens.access_token).cnf).to.have.property('jkt');
    });

    it('gives its codes 60 seconds at most', async () => {
      await authorize(fapi);
      // The code was made before now: with a 60-second lifetime it expires within 60 seconds from now.
      const after = Date.now();
      const row = await server.core.database.knex('oidc_models').where({ model: 'AuthorizationCode', client_id: fapi.clientId }).orderBy('expires_at', 'desc').first();
      expect(new Date(row.expires_at).getTime() - after).to.be.at.most(60_000);
    });

    it('refuses an authorization request that was not pushed', async () => {
      const url = oidc.buildAuthorizationUrl(fapi.config, {
        redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      const browser = new FormBrowser();
      expect(errorOf(await browser.follow(await browser.get(url.toString()), REDIRECT))).to.include('invalid_request');
    });

    it('requires PKCE and refuses the plain method', async () => {
      expect(await pushRaw(fapi, {})).to.equal('invalid_request');
      expect(await pushRaw(fapi, { code_challenge: oidc.randomPKCECodeVerifier(), code_challenge_method: 'plain' })).to.equal('invalid_request');
    });

    it('refuses the response types token and code id_token', async () => {
      const challenge = { code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' };
      expect(await pushRaw(fapi, { ...challenge, response_type: 'token' })).to.be.oneOf(['unsupported_response_type', 'invalid_request', 'unauthorized_client']);
      expect(await pushRaw(fapi, { ...challenge, response_type: 'code id_token', nonce: 'n' })).to.be.oneOf(['unsupported_response_type', 'invalid_request', 'unauthorized_client']);
    });

    it('requires DPoP at the token endpoint', async () => {
      const { callback, verifier, state } = await authorize(fapi);
      const error = await oidc.authorizationCodeGrant(fapi.config, callback, { pkceCodeVerifier: verifier, expectedState: state }).catch((e: { error?: string }) => e.error);
      // RFC 9449 §5: the refusal of a missing proof is invalid_dpop_proof.
      expect(error).to.equal('invalid_dpop_proof');
    });

    it('refuses a code reused', async () => {
      const { callback, verifier, state, handle } = await authorize(fapi);
      await oidc.authorizationCodeGrant(fapi.config, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP: handle });
      const error = await oidc.authorizationCodeGrant(fapi.config, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP: handle }).catch((e: { error?: string }) => e.error);
      expect(error).to.equal('invalid_grant');
    });

    it('binds a code to its client', async () => {
      const { callback, verifier } = await authorize(fapi);
      const other = await keyedClient('Other Bank App', { fapiProfile: '2.0' });
      const response = await oidc.genericGrantRequest(other.config, 'authorization_code', { code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier }, { DPoP: await dpop(other.config) }).catch((e: { error?: string }) => e.error);
      expect(response).to.equal('invalid_grant');
    });

    it('refuses an expired code', async () => {
      const { callback, verifier, state, handle } = await authorize(fapi);
      await server.core.database.knex('oidc_models').where({ model: 'AuthorizationCode', client_id: fapi.clientId }).update({ expires_at: new Date(Date.now() - 1000) });
      const error = await oidc.authorizationCodeGrant(fapi.config, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP: handle }).catch((e: { error?: string }) => e.error);
      expect(error).to.equal('invalid_grant');
    });

    it('refuses a request_uri reused, expired, or used by another client', async () => {
      const used = await authorize(fapi);
      expect(errorOf(await used.browser.follow(await used.browser.get(used.url.toString()), REDIRECT))).to.include('invalid_request_uri');

      const pushed = await oidc.buildAuthorizationUrlWithPAR(fapi.config, {
        redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      const other = new URL(pushed);
      other.searchParams.set('client_id', plainApp.clientMetadata().client_id);
      const browser = new FormBrowser();
      expect(errorOf(await browser.follow(await browser.get(other.toString()), REDIRECT))).to.match(/invalid_request/);

      await server.core.database.knex('oidc_models').where({ model: 'PushedAuthorizationRequest' }).update({ expires_at: new Date(Date.now() - 1000) });
      expect(errorOf(await browser.follow(await browser.get(pushed.toString()), REDIRECT))).to.include('invalid_request_uri');
    });

    it('cannot be registered with a client secret, as a public client, or with DPoP or PAR turned off', async () => {
      const attempt = async (input: Record<string, unknown>) =>
        server.core.clients.create({ name: 'Bad', redirectUris: [REDIRECT], fapiProfile: '2.0', ...input } as never).then(
          () => 'accepted',
          (error: { details?: { fields?: { path: string }[] } }) => error.details?.fields?.map((f) => f.path).join(',') ?? 'error',
        );
      expect(await attempt({})).to.include('tokenEndpointAuthMethod');
      expect(await attempt({ public: true })).to.include('public');
      const keys = await keyPair();
      expect(await attempt({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: keys.jwks, dpopBoundAccessTokens: false })).to.include('dpopBoundAccessTokens');
      expect(await attempt({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: keys.jwks, requirePushedAuthorizationRequests: false })).to.include('requirePushedAuthorizationRequests');
    });

    it('does not accept private keys as a client\'s jwks', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const error = await server.core.clients
        .create({ name: 'Leaky', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [(await exportJWK(privateKey)) as never] } })
        .then(() => 'accepted', (e: Error) => e.message);
      expect(error).to.not.equal('accepted');
    });
  });

  describe('JAR: signed request objects', () => {
    let jarClient: KeyedClient;

    before(async () => {
      jarClient = await keyedClient('JAR App', { requireSignedRequestObject: true });
    });

    it('accepts a signed request object and refuses plain parameters from a client that requires them', async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = await oidc.buildAuthorizationUrlWithJAR(
        jarClient.config,
        { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state },
        { key: jarClient.privateKey },
      );
      expect(url.searchParams.get('request')).to.be.a('string');
      const { callback } = await signIn(new FormBrowser(), url, REDIRECT);
      const tokens = await oidc.authorizationCodeGrant(jarClient.config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      expect(tokens.id_token).to.be.a('string');

      const plain = oidc.buildAuthorizationUrl(jarClient.config, {
        redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const browser = new FormBrowser();
      expect(errorOf(await browser.follow(await browser.get(plain.toString()), REDIRECT))).to.include('invalid_request');
    });

    it('refuses a request object signed with another key', async () => {
      const stranger = await keyPair();
      const url = await oidc.buildAuthorizationUrlWithJAR(
        jarClient.config,
        { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' },
        { key: stranger.privateKey },
      );
      const browser = new FormBrowser();
      expect(errorOf(await browser.follow(await browser.get(url.toString()), REDIRECT))).to.include('invalid_request_object');
    });
  });

  describe('JARM: signed authorization responses', () => {
    it('answers response_mode=jwt with a signed response for the client', async () => {
      const jarm = await keyedClient('JARM App', { authorizationSignedResponseAlg: 'ES256' });
      oidc.useJwtResponseMode(jarm.config);
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(jarm.config, {
        redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, response_mode: 'jwt',
      });
      const { callback } = await signIn(new FormBrowser(), url, REDIRECT);
      const response = callback.searchParams.get('response')!;
      expect(callback.searchParams.get('code')).to.equal(null);
      const { payload, protectedHeader } = await jwtVerify(response, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer, audience: jarm.clientId });
      expect(protectedHeader.alg).to.equal('ES256');
      expect(payload.state).to.equal(state);
      expect(payload.code).to.be.a('string');
      const tokens = await oidc.authorizationCodeGrant(jarm.config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      expect(tokens.id_token).to.be.a('string');
    });
  });
});
