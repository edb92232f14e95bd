// Who may call the admin API: only a valid, unexpired, unrevoked Gatehouse JWT for the admin API,
// issued to an admin client through client_credentials, with the scope the operation needs.
// Everything else gets the RFC 6750 answer (401 with a Bearer challenge, or 403 insufficient_scope).
import { randomUUID } from 'node:crypto';

import { expect } from 'chai';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import * as oidc from 'openid-client';

import { adminApi, adminToken, clientCredentialsToken, createAdminClient } from '../helpers/admin.js';
import { FormBrowser } from '../helpers/browser.js';
import { createApi, createMachineClient, createUser, createWebClient, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const ORDERS = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

describe('admin API authentication and authorisation', () => {
  let server: TestServer;
  let adminClientId: string;

  /** A token signed with Gatehouse's own current key, with the claims given (to reach each check). */
  const forge = async (claims: Record<string, unknown>, { foreignKey = false } = {}) => {
    const jwk = server.core.keyRing.keys.providerJwks.find((k) => k.alg === server.config.accessTokenAlg && !k.key_ops)!;
    const key = foreignKey ? (await generateKeyPair('ES256')).privateKey : await importJWK(jwk as JWK, jwk.alg);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ client_id: adminClientId, scope: 'admin:read admin:write', jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'at+jwt' })
      .setIssuer(server.issuer)
      .setAudience(server.core.adminApi)
      .setSubject(String(claims.sub ?? adminClientId))
      .setIssuedAt(now - 10)
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : now + 300)
      .sign(key);
  };

  const expectInvalidToken = async (token: string, reason: RegExp) => {
    const response = await adminApi(server, token)('GET', '/clients');
    expect(response.status).to.equal(401);
    expect(response.body).to.include({ code: 'invalid_token' });
    expect(String(response.body.message)).to.match(reason);
    const challenge = response.headers.get('www-authenticate')!;
    expect(challenge).to.match(/^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+"$/);
  };

  before(async () => {
    server = await startTestServer();
    await createApi(server.core, ORDERS, ['orders:read']);
    adminClientId = (await createAdminClient(server)).clientId;
  });

  after(async () => server?.stop());

  it('creates the admin API entity for this issuer at start, with admin:read and admin:write', async () => {
    const api = await server.core.apis.show(`${server.issuer}/admin`);
    expect(api.scopes.map((s) => s.name)).to.have.members(['admin:read', 'admin:write']);
    // Idempotent: a second start (or the CLI) finds it and changes nothing.
    await server.core.apis.ensureAdminApi();
    expect((await server.core.apis.show(api.identifier)).id).to.equal(api.id);
  });

  it('answers 401 with a bare Bearer challenge when no token is presented', async () => {
    const variants: Record<string, string>[] = [{}, { authorization: 'Basic YWRtaW46YWRtaW4=' }, { authorization: 'Bearer' }];
    for (const headers of variants) {
      const response = await adminApi(server, undefined)('GET', '/clients', undefined, headers);
      expect(response.status).to.equal(401);
      expect(response.body).to.include({ code: 'unauthorized' });
      expect(response.body.request_id).to.be.a('string');
      expect(response.headers.get('www-authenticate')).to.equal(`Bearer realm="${server.issuer}"`);
    }
  });

  it('accepts an admin client token from client_credentials', async () => {
    const response = await adminApi(server, await adminToken(server))('GET', '/clients');
    expect(response.status).to.equal(200);
    expect(response.body.items).to.be.an('array');
  });

  it('answers 401 invalid_token for garbage, a foreign signature, or a token of another issuer', async () => {
    await expectInvalidToken('not-a-jwt', /invalid, expired or revoked/);
    await expectInvalidToken(await forge({}, { foreignKey: true }), /invalid, expired or revoked/);
    const other = (await forge({})).split('.');
    const payload = JSON.parse(Buffer.from(other[1]!, 'base64url').toString()) as Record<string, unknown>;
    other[1] = Buffer.from(JSON.stringify({ ...payload, iss: 'https://evil.example.com' })).toString('base64url');
    await expectInvalidToken(other.join('.'), /invalid, expired or revoked/);
  });

  it('answers 401 invalid_token for an expired token', async () => {
    await expectInvalidToken(await forge({ exp: Math.floor(Date.now() / 1000) - 120 }), /invalid, expired or revoked/);
  });

  it('answers 401 invalid_token for a token of another API (wrong audience)', async () => {
    const worker = await createMachineClient(server.core, [ORDERS]);
    const token = await clientCredentialsToken(server, { clientId: worker.clientId, clientSecret: worker.clientSecret }, { scope: 'orders:read', resource: ORDERS });
    await expectInvalidToken(token, /not for the admin API/);
  });

  it("answers 401 invalid_token for an end user's token", async () => {
    // A real user token from the code flow (its audience is an API the user consented to) ...
    await createUser(server.core, 'alice');
    const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [ORDERS] });
    const rp = await relyingParty(server.issuer, web.clientId, web.clientSecret);
    const start = await startAuthorization(rp, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: ORDERS });
    const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    await expectInvalidToken(tokens.access_token, /not for the admin API/);
    // ... and one shaped like a user's token for the admin API (which Gatehouse never issues) are both refused.
    await expectInvalidToken(await forge({ sub: randomUUID(), gid: randomUUID() }), /not of users/);
  });

  it('answers 401 invalid_token once the token is revoked, or its client is no longer an admin client', async () => {
    const admin = await createAdminClient(server);
    const token = await clientCredentialsToken(server, admin, { resource: server.core.adminApi, scope: 'admin:read' });
    expect((await adminApi(server, token)('GET', '/roles')).status).to.equal(200);
    const rp = await relyingParty(server.issuer, admin.clientId, admin.clientSecret);
    await oidc.tokenRevocation(rp, token);
    await expectInvalidToken(token, /invalid, expired or revoked/);

    const other = await createAdminClient(server);
    const otherToken = await clientCredentialsToken(server, other, { resource: server.core.adminApi, scope: 'admin:read' });
    await server.core.clients.delete(other.clientId);
    await expectInvalidToken(otherToken, /not an admin client/);
  });

  it('answers 403 insufficient_scope when the token lacks the scope, and lets admin:read read', async () => {
    const readOnly = adminApi(server, await adminToken(server, 'admin:read'));
    expect((await readOnly('GET', '/users')).status).to.equal(200);
    expect((await readOnly('GET', '/signing-keys')).status).to.equal(200);
    const before = (await readOnly<{ items: unknown[] }>('GET', '/roles')).body.items.length;
    const refused = await readOnly('POST', '/roles', { name: 'sneaky' });
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include({ code: 'insufficient_scope' });
    expect(refused.headers.get('www-authenticate')).to.equal(
      `Bearer realm="${server.issuer}", error="insufficient_scope", error_description="this operation needs the admin:write scope", scope="admin:write"`,
    );
    expect((await readOnly<{ items: unknown[] }>('GET', '/roles')).body.items.length).to.equal(before);
    // The audit log names the client that tried (its token was valid; only the scope was missing).
    await server.core.audit.flush();
    const [event] = await server.core.repositories.audit.query({ type: 'admin.auth.failure', limit: 1 });
    expect(event?.details).to.deep.include({ reason: 'insufficient_scope' });
    expect(event?.clientId).to.be.a('string').and.not.equal('');
  });

  it('lets an admin client be limited to admin:read for good', async () => {
    const { client, clientSecret } = await server.core.clients.create({ name: 'Auditor', isAdmin: true, scope: 'admin:read' });
    const creds = { clientId: client.clientId, clientSecret: clientSecret! };
    const token = await clientCredentialsToken(server, creds, { resource: server.core.adminApi, scope: 'admin:read' });
    expect((await adminApi(server, token)('DELETE', `/clients/${client.clientId}`)).status).to.equal(403);
    const asked = await clientCredentialsToken(server, creds, { resource: server.core.adminApi, scope: 'admin:write' }).catch((e: Error) => e);
    expect(String(asked)).to.include('invalid_scope');
  });

  it('narrowing an admin client to admin:read takes effect at once, for the tokens it already holds too', async () => {
    const { client, clientSecret } = await server.core.clients.create({ name: 'Pipeline', isAdmin: true });
    const creds = { clientId: client.clientId, clientSecret: clientSecret! };
    const token = await clientCredentialsToken(server, creds, { resource: server.core.adminApi, scope: 'admin:read admin:write' });
    const api = adminApi(server, token);
    expect((await api('POST', '/roles', { name: 'before-narrowing' })).status).to.equal(201);
    await server.core.clients.update(client.clientId, { scope: 'admin:read' });
    const refused = await api('POST', '/roles', { name: 'after-narrowing' });
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include({ code: 'insufficient_scope' });
    expect((await api('GET', '/roles')).status).to.equal(200);
  });

  it('refuses, rather than ignores, an API list for an admin client other than the admin API alone', async () => {
    const { client } = await server.core.clients.create({ name: 'Deployer', isAdmin: true });
    const api = adminApi(server, await adminToken(server));
    for (const apis of [[], ['https://orders.example.com']]) {
      const refused = await api('PATCH', `/clients/${client.clientId}`, { apis });
      expect(refused.status, JSON.stringify(apis)).to.equal(400);
      expect(refused.body).to.include({ code: 'invalid_input' });
    }
    const same = await api('PATCH', `/clients/${client.clientId}`, { apis: [server.core.adminApi] });
    expect(same.status).to.equal(200);
    expect(same.body.apis).to.deep.equal([server.core.adminApi]);
  });

  it('refuses an audit cursor past the largest event id with 400, not a database error', async () => {
    const api = adminApi(server, await adminToken(server, 'admin:read'));
    const cursor = Buffer.from('9999999999999999999').toString('base64url');
    const answer = await api('GET', `/audit-events?cursor=${cursor}`);
    expect(answer.status).to.equal(400);
    expect(answer.body).to.include({ code: 'invalid_input' });
  });

  it('keeps the admin API to admin clients: no other client can be given it', async () => {
    const response = await adminApi(server, await adminToken(server))('POST', '/clients', {
      name: 'Sneaky web app',
      redirect_uris: [REDIRECT],
      apis: [server.core.adminApi],
    });
    expect(response.status).to.equal(400);
    expect(response.body.fields).to.deep.include({ path: 'body.apis', message: 'the admin API is reserved for admin clients (--admin)' });
  });

  it('answers unknown admin paths and methods in the JSON error shape', async () => {
    const api = adminApi(server, await adminToken(server));
    const missing = await api('GET', '/nothing-here');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.include({ code: 'not_found' });
    const method = await api('PUT', '/clients');
    expect(method.status).to.equal(405);
    expect(method.headers.get('allow')).to.equal('GET, POST');
  });
});
