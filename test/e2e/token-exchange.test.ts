// Token exchange (RFC 8693): the orders service swaps the user's orders token for one narrowed to
// the inventory API, with `act` naming it; only clients allowed to, only for APIs they may reach.
import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { TOKEN_EXCHANGE_GRANT } from '../../src/schemas/client.js';
import { FormBrowser } from '../helpers/browser.js';
import { createApi, createResourceServerClient, createUser, createWebClient, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const ORDERS = 'https://orders.example.com';
const INVENTORY = 'https://inventory.example.com';
const BILLING = 'https://billing.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

describe('token exchange (RFC 8693)', () => {
  let server: TestServer;
  let userToken: string;
  let ordersService: { clientId: string; clientSecret: string };
  let inventoryRs: oidc.Configuration;
  let app: oidc.Configuration;

  const exchange = async (client: { clientId: string; clientSecret: string }, params: Record<string, string>) => {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: ACCESS_TOKEN_TYPE, ...params }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const serviceClient = async (name: string, input: { apis: string[]; from: string[]; scope?: string; grant?: boolean }) => {
    const { client, clientSecret } = await server.core.clients.create({
      name,
      apis: input.apis,
      grantTypes: input.grant === false ? ['client_credentials'] : [TOKEN_EXCHANGE_GRANT],
      scope: input.scope,
      ...(input.grant === false ? {} : { tokenExchangeSubjectApis: input.from }),
    });
    return { clientId: client.clientId, clientSecret: clientSecret! };
  };

  before(async () => {
    server = await startTestServer();
    await createApi(server.core, ORDERS, ['orders:read', 'orders:write']);
    await createApi(server.core, INVENTORY, ['inventory:read', 'inventory:write']);
    await createApi(server.core, BILLING, ['billing:read']);
    await createUser(server.core, 'alice');
    const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [ORDERS] });
    app = await relyingParty(server.issuer, web.clientId, web.clientSecret);
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: ORDERS });
    const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT);
    userToken = (await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce })).access_token;
    ordersService = await serviceClient('Orders service', { apis: [INVENTORY], from: [ORDERS], scope: 'inventory:read' });
    const rs = await createResourceServerClient(server.core, INVENTORY);
    inventoryRs = await relyingParty(server.issuer, rs.clientId, rs.clientSecret);
  });

  after(async () => server?.stop());

  it('advertises the grant type', () => {
    expect(app.serverMetadata().grant_types_supported).to.include(TOKEN_EXCHANGE_GRANT);
  });

  it('exchanges the user\'s token for one narrowed to another API, with act naming the service', async () => {
    const { status, body } = await exchange(ordersService, { subject_token: userToken, resource: INVENTORY, scope: 'inventory:read' });
    expect(status, JSON.stringify(body)).to.equal(200);
    expect(body).to.include({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', scope: 'inventory:read' });
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const { payload } = await jwtVerify(body.access_token as string, jwks, { issuer: server.issuer, audience: INVENTORY, typ: 'at+jwt' });
    const original = decodeJwt(userToken);
    expect(payload.sub).to.equal(original.sub);
    expect(payload.client_id).to.equal(ordersService.clientId);
    expect(payload.scope).to.equal('inventory:read');
    expect(payload.act).to.deep.equal({ sub: ordersService.clientId });
    expect(payload.exp).to.be.at.most(original.exp!);

    const introspected = await oidc.tokenIntrospection(inventoryRs, body.access_token as string);
    expect(introspected).to.include({ active: true, sub: original.sub, scope: 'inventory:read', aud: INVENTORY });
    expect(introspected.act).to.deep.equal({ sub: ordersService.clientId });
  });

  it('defaults to the client\'s first API and its assigned scopes', async () => {
    const { status, body } = await exchange(ordersService, { subject_token: userToken });
    expect(status).to.equal(200);
    expect(decodeJwt(body.access_token as string).aud).to.equal(INVENTORY);
    expect(body.scope).to.equal('inventory:read');
  });

  it('refuses a scope the client is not assigned (no widening)', async () => {
    const { status, body } = await exchange(ordersService, { subject_token: userToken, resource: INVENTORY, scope: 'inventory:write' });
    expect(status).to.equal(400);
    expect(body.error).to.equal('invalid_scope');
  });

  it('refuses a resource and an audience that name different targets (RFC 8693 §2.2.2)', async () => {
    const { status, body } = await exchange(ordersService, { subject_token: userToken, resource: INVENTORY, audience: BILLING });
    expect(status).to.equal(400);
    expect(body.error).to.equal('invalid_target');
    // The same target named both ways is fine.
    expect((await exchange(ordersService, { subject_token: userToken, resource: INVENTORY, audience: INVENTORY })).status).to.equal(200);
  });

  it('refuses an API the client may not reach', async () => {
    const { status, body } = await exchange(ordersService, { subject_token: userToken, resource: BILLING });
    expect(status).to.equal(400);
    expect(body.error).to.equal('invalid_target');
  });

  it('refuses subject tokens issued for an API the client may not exchange tokens of', async () => {
    const billingService = await serviceClient('Billing service', { apis: [INVENTORY], from: [BILLING], scope: 'inventory:read' });
    const { status, body } = await exchange(billingService, { subject_token: userToken });
    expect(status).to.equal(400);
    expect(body.error).to.equal('invalid_grant');
  });

  it('refuses clients without the token-exchange grant', async () => {
    const worker = await serviceClient('Plain worker', { apis: [INVENTORY], from: [], grant: false, scope: 'inventory:read' });
    const { status, body } = await exchange(worker, { subject_token: userToken });
    expect(status).to.equal(400);
    expect(body.error).to.equal('unauthorized_client');
  });

  it('refuses an invalid subject token, a wrong token type and an actor token', async () => {
    expect((await exchange(ordersService, { subject_token: 'not-a-token' })).body.error).to.equal('invalid_grant');
    expect((await exchange(ordersService, { subject_token: userToken, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' })).body.error).to.equal('invalid_request');
    expect((await exchange(ordersService, { subject_token: userToken, actor_token: userToken, actor_token_type: ACCESS_TOKEN_TYPE })).body.error).to.equal('invalid_request');
  });

  it('nests the earlier actor when an exchanged token is exchanged again', async () => {
    const first = await exchange(ordersService, { subject_token: userToken });
    const inventoryService = await serviceClient('Inventory service', { apis: [BILLING], from: [INVENTORY], scope: 'billing:read' });
    const second = await exchange(inventoryService, { subject_token: first.body.access_token as string });
    expect(second.status, JSON.stringify(second.body)).to.equal(200);
    expect(decodeJwt(second.body.access_token as string).act).to.deep.equal({ sub: inventoryService.clientId, act: { sub: ordersService.clientId } });
  });

  it('revokes exchanged tokens with the user\'s grant they came from', async () => {
    const { body } = await exchange(ordersService, { subject_token: userToken });
    expect((await oidc.tokenIntrospection(inventoryRs, body.access_token as string)).active).to.equal(true);
    await oidc.tokenRevocation(app, userToken);
    expect((await oidc.tokenIntrospection(inventoryRs, body.access_token as string)).active).to.equal(false);
    expect((await exchange(ordersService, { subject_token: userToken })).body.error).to.equal('invalid_grant');
  });

  it('validates the registration: the grant needs the APIs it may exchange tokens of', async () => {
    let failure: unknown;
    try {
      await server.core.clients.create({ name: 'Incomplete', apis: [INVENTORY], grantTypes: [TOKEN_EXCHANGE_GRANT] });
    } catch (error) {
      failure = error;
    }
    expect(String((failure as Error | undefined)?.message)).to.match(/invalid|token exchange/i);
  });
});
