// An API trusts Gatehouse end to end for machine clients: a client_credentials JWT verified
// against the published JWKS, introspection by the API's own client, revocation taking effect.
import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { createApi, createMachineClient, createResourceServerClient, relyingParty } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const ORDERS = 'https://orders.example.com';
const BILLING = 'https://billing.example.com';

describe('client credentials, JWKS validation, introspection and revocation', () => {
  let server: TestServer;
  let worker: oidc.Configuration;
  let ordersRs: oidc.Configuration;
  let billingRs: oidc.Configuration;

  before(async () => {
    server = await startTestServer();
    await createApi(server.core, ORDERS, ['orders:read', 'orders:write']);
    await createApi(server.core, BILLING, ['billing:read'], { alg: 'PS256' });
    const machine = await createMachineClient(server.core, [ORDERS, BILLING]);
    worker = await relyingParty(server.issuer, machine.clientId, machine.clientSecret);
    const ordersClient = await createResourceServerClient(server.core, ORDERS);
    ordersRs = await relyingParty(server.issuer, ordersClient.clientId, ordersClient.clientSecret);
    const billingClient = await createResourceServerClient(server.core, BILLING);
    billingRs = await relyingParty(server.issuer, billingClient.clientId, billingClient.clientSecret);
  });

  after(async () => server?.stop());

  it('publishes discovery metadata for exactly the code flow with PKCE S256', async () => {
    const metadata = worker.serverMetadata();
    expect(metadata.issuer).to.equal(server.issuer);
    expect(metadata.response_types_supported).to.deep.equal(['code']);
    expect(metadata.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(metadata.grant_types_supported).to.include.members(['authorization_code', 'refresh_token', 'client_credentials']);
    expect(metadata.authorization_response_iss_parameter_supported).to.equal(true);
    expect(metadata.token_endpoint_auth_methods_supported).to.not.include('client_secret_jwt');
    expect(metadata.introspection_endpoint).to.equal(`${server.issuer}/token/introspection`);
    expect(metadata.revocation_endpoint).to.equal(`${server.issuer}/token/revocation`);
  });

  it('issues an RFC 9068 JWT that an API verifies against jwks_uri', async () => {
    const tokens = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
    const jwks = createRemoteJWKSet(new URL(worker.serverMetadata().jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: server.issuer,
      audience: ORDERS,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.typ).to.equal('at+jwt');
    expect(payload.scope).to.equal('orders:read');
    expect(payload.client_id).to.equal(worker.clientMetadata().client_id);
    expect(payload.sub).to.equal(worker.clientMetadata().client_id);
    expect(payload.jti).to.be.a('string');
    expect(payload.exp! - payload.iat!).to.equal(600);
    expect(tokens.token_type).to.equal('bearer');
  });

  it('uses the client default API when no resource is named, and the per-API algorithm', async () => {
    const defaulted = await oidc.clientCredentialsGrant(worker, { scope: 'orders:write' });
    const jwks = createRemoteJWKSet(new URL(worker.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(defaulted.access_token, jwks, { issuer: server.issuer, audience: ORDERS, typ: 'at+jwt' });
    expect(payload.scope).to.equal('orders:write');

    const billing = await oidc.clientCredentialsGrant(worker, { scope: 'billing:read', resource: BILLING });
    expect(decodeProtectedHeader(billing.access_token).alg).to.equal('PS256');
    const verified = await jwtVerify(billing.access_token, jwks, { issuer: server.issuer, audience: BILLING, typ: 'at+jwt' });
    expect(verified.payload.scope).to.equal('billing:read');
  });

  it('refuses (invalid_scope) a scope of another API or one the client may not have, instead of dropping it', async () => {
    for (const scope of ['orders:read billing:read', 'orders:read admin', 'openid orders:read']) {
      const error = await oidc.clientCredentialsGrant(worker, { scope, resource: ORDERS }).catch((e: unknown) => e);
      expect((error as oidc.ResponseBodyError).error, scope).to.equal('invalid_scope');
    }
    const tokens = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
    expect(tokens.scope).to.equal('orders:read');
  });

  it('refuses a token request naming two APIs (invalid_target)', async () => {
    const params = new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read billing:read' });
    params.append('resource', ORDERS);
    params.append('resource', BILLING);
    const error = await oidc.genericGrantRequest(worker, 'client_credentials', params).catch((e: unknown) => e);
    expect((error as oidc.ResponseBodyError).error).to.equal('invalid_target');
  });

  it('refuses an API the client is not registered for', async () => {
    const error = await oidc
      .clientCredentialsGrant(worker, { scope: 'x', resource: 'https://unknown.example.com' })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(oidc.ResponseBodyError);
    expect((error as oidc.ResponseBodyError).error).to.equal('invalid_target');
  });

  it('lets the API’s own client introspect its tokens, and only its tokens', async () => {
    const orders = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
    const introspected = await oidc.tokenIntrospection(ordersRs, orders.access_token);
    expect(introspected.active).to.equal(true);
    expect(introspected.scope).to.equal('orders:read');
    expect(introspected.aud).to.equal(ORDERS);
    expect(introspected.client_id).to.equal(worker.clientMetadata().client_id);
    // The same subject as the JWT's (RFC 9068 §2.2: the client, for a client-credentials token).
    expect(introspected.sub).to.equal(worker.clientMetadata().client_id).and.equal(decodeJwt(orders.access_token).sub);
    expect(introspected.token_type).to.equal('Bearer');
    expect(introspected.exp).to.be.a('number');
    expect(introspected.iat).to.be.a('number');

    const foreign = await oidc.tokenIntrospection(billingRs, orders.access_token);
    expect(foreign).to.deep.equal({ active: false });
  });

  it('answers {"active": false} for garbage, tampered and unknown tokens', async () => {
    const orders = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
    const [header, payload, signature] = orders.access_token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'orders:write' }),
    ).toString('base64url');
    for (const token of ['garbage', `${header}.${forgedPayload}.${signature}`, 'a.b.c', orders.access_token.slice(0, -4) + 'AAAA']) {
      expect(await oidc.tokenIntrospection(ordersRs, token)).to.deep.equal({ active: false });
    }
  });

  it('revokes a JWT access token (RFC 7009): introspection then says inactive', async () => {
    const orders = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
    expect((await oidc.tokenIntrospection(ordersRs, orders.access_token)).active).to.equal(true);
    await oidc.tokenRevocation(worker, orders.access_token);
    expect(await oidc.tokenIntrospection(ordersRs, orders.access_token)).to.deep.equal({ active: false });
    // Revoking again, or revoking garbage, is not an error (RFC 7009 §2.2).
    await oidc.tokenRevocation(worker, orders.access_token);
    await oidc.tokenRevocation(worker, 'not-a-token');
  });

  it('does not let another client revoke the token', async () => {
    const orders = await oidc.clientCredentialsGrant(worker, { scope: 'orders:read', resource: ORDERS });
    const error = await oidc.tokenRevocation(ordersRs, orders.access_token).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(oidc.ResponseBodyError);
    expect((await oidc.tokenIntrospection(ordersRs, orders.access_token)).active).to.equal(true);
  });

  it('refuses introspection without client authentication', async () => {
    const response = await fetch(`${server.issuer}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=abc',
    });
    expect(response.status).to.equal(401);
    expect(((await response.json()) as { error: string }).error).to.equal('invalid_client');
  });

  it('keeps the resource server client from getting tokens itself', async () => {
    const error = await oidc.clientCredentialsGrant(ordersRs, { resource: ORDERS }).catch((e: unknown) => e);
    expect((error as oidc.ResponseBodyError).error).to.equal('unauthorized_client');
  });
});
