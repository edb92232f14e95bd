// The admin API for clients and APIs: every operation with valid and invalid input. Invalid input
// gets 400 with one entry per offending field and writes nothing; unknown fields are refused.
import { expect } from 'chai';
import type { z } from 'zod';

import { apiResponseSchema, clientResponseSchema } from '../../src/schemas/responses.js';
import { adminApi, adminToken, clientCredentialsToken } from '../helpers/admin.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type Body = Record<string, unknown>;
const ORDERS = 'https://orders.example.com';

describe('admin API: clients and APIs', () => {
  let server: TestServer;
  let api: ReturnType<typeof adminApi>;

  const shaped = <S extends z.ZodType>(schema: S, body: unknown) => schema.parse(body) as z.output<S>;
  const fieldsOf = (body: Body) => (body.fields as { path: string; message: string }[]).map((f) => f.path);
  const count = async (path: string) => ((await api<{ items: unknown[] }>('GET', `${path}?limit=200`)).body.items).length;
  const expectInvalid = async (method: string, path: string, body: unknown, fields: string[]) => {
    const response = await api(method, path, body);
    expect(response.status, JSON.stringify(response.body)).to.equal(400);
    expect(response.body.code).to.equal('invalid_input');
    expect(response.body.request_id).to.be.a('string');
    expect(fieldsOf(response.body)).to.include.members(fields);
    return response;
  };
  const tokenFor = (clientId: string, clientSecret: string) =>
    fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read', resource: ORDERS }),
    }).then((r) => r.status);

  before(async () => {
    server = await startTestServer();
    api = adminApi(server, await adminToken(server));
  });

  after(async () => server?.stop());

  describe('APIs', () => {
    it('POST /apis registers an API with described and role-restricted scopes', async () => {
      expect((await api('POST', '/roles', { name: 'staff' })).status).to.equal(201);
      const created = await api('POST', '/apis', {
        identifier: ORDERS,
        name: 'Orders',
        scopes: [
          { name: 'orders:read', description: 'Read your orders' },
          { name: 'orders:write', description: 'Change orders', roles: ['staff'] },
        ],
        access_token_ttl: 300,
        roles_claim: true,
      });
      expect(created.status).to.equal(201);
      const body = shaped(apiResponseSchema, created.body);
      expect(body).to.deep.include({ identifier: ORDERS, name: 'Orders', access_token_ttl: 300, roles_claim: true, allow_dynamic_clients: false });
      expect(body.scope_descriptions).to.deep.equal({ 'orders:read': 'Read your orders', 'orders:write': 'Change orders' });
      expect(body.scope_roles).to.deep.equal({ 'orders:write': ['staff'] });
    });

    it('POST /apis refuses invalid input field by field and writes nothing', async () => {
      const before = await count('/apis');
      await expectInvalid('POST', '/apis', { identifier: 'https://bad.example.com/#frag', scopes: [] }, ['body.identifier']);
      await expectInvalid('POST', '/apis', { identifier: 'https://bad.example.com', scopes: [{ name: 'openid' }, { name: 'has space' }] }, ['body.scopes.0.name', 'body.scopes.1.name']);
      await expectInvalid('POST', '/apis', { identifier: 'https://bad.example.com', scopes: [{ name: 'a' }, { name: 'a' }] }, ['body.scopes']);
      await expectInvalid('POST', '/apis', { identifier: 'https://bad.example.com', scopes: [{ name: 'a', roles: ['nobody'] }] }, ['body.scopes.0.roles']);
      await expectInvalid('POST', '/apis', { identifier: 'https://bad.example.com', scopes: [], access_token_ttl: 5, id: 'x', created_at: 'now' }, ['body.access_token_ttl', 'body.id', 'body.created_at']);
      await expectInvalid('POST', '/apis', '{"identifier": ', ['body']);
      expect(await count('/apis')).to.equal(before);
      expect((await api('POST', '/apis', { identifier: ORDERS, scopes: [] })).status).to.equal(409);
      expect((await api('POST', '/apis', { identifier: server.core.adminApi, scopes: [] })).status).to.equal(409);
    });

    it('GET /apis lists with filters and pages; GET /apis/{api} finds by id or identifier', async () => {
      const list = await api<{ items: Body[]; next_cursor: string | null }>('GET', '/apis?q=orders');
      expect(list.status).to.equal(200);
      expect(list.body.items.map((a) => a.identifier)).to.deep.equal([ORDERS]);
      const byIdentifier = await api('GET', `/apis/${encodeURIComponent(ORDERS)}`);
      expect(byIdentifier.status).to.equal(200);
      const byId = await api('GET', `/apis/${String(byIdentifier.body.id)}`);
      expect(byId.body.identifier).to.equal(ORDERS);
      expect((await api('GET', `/apis/${encodeURIComponent('https://none.example.com')}`)).status).to.equal(404);
      await expectInvalid('GET', '/apis?limit=0&allow_dynamic_clients=maybe', undefined, ['query.limit', 'query.allow_dynamic_clients']);
    });

    it('PATCH /apis/{api} changes settings; refuses bad values and the admin API', async () => {
      const path = `/apis/${encodeURIComponent(ORDERS)}`;
      const changed = await api('PATCH', path, { access_token_ttl: 900, allow_dynamic_clients: true });
      expect(changed.status).to.equal(200);
      expect(changed.body).to.include({ access_token_ttl: 900, allow_dynamic_clients: true });
      await expectInvalid('PATCH', path, { access_token_ttl: 10, signing_alg: 'HS256', identifier: 'https://x.example.com' }, ['body.access_token_ttl', 'body.signing_alg', 'body.identifier']);
      expect((await api('GET', path)).body.access_token_ttl).to.equal(900);
      const admin = await api('PATCH', `/apis/${encodeURIComponent(server.core.adminApi)}`, { name: 'mine now' });
      expect(admin.status).to.equal(409);
      expect((await api('PATCH', `/apis/${encodeURIComponent('https://none.example.com')}`, { name: 'x' })).status).to.equal(404);
    });

    it('PUT and DELETE /apis/{api}/scopes/{scope} manage one scope', async () => {
      const path = `/apis/${encodeURIComponent(ORDERS)}/scopes`;
      const put = await api('PUT', `${path}/orders:refund`, { description: 'Refund orders', roles: ['staff'] });
      expect(put.status).to.equal(200);
      expect((put.body.scope_roles as Body)['orders:refund']).to.deep.equal(['staff']);
      await expectInvalid('PUT', `${path}/has%20space`, {}, ['params.scope']);
      await expectInvalid('PUT', `${path}/orders:refund`, { roles: ['nobody'] }, ['body.roles']);
      const removed = await api('DELETE', `${path}/orders:refund`);
      expect(removed.status).to.equal(200);
      expect(removed.body.scopes).to.not.include('orders:refund');
      expect((await api('DELETE', `${path}/orders:refund`)).status).to.equal(404);
    });

    it('DELETE /apis/{api} deletes, and refuses the admin API', async () => {
      const temp = await api('POST', '/apis', { identifier: 'https://temp.example.com', scopes: [{ name: 't' }] });
      expect((await api('DELETE', `/apis/${String(temp.body.id)}`)).status).to.equal(204);
      expect((await api('GET', `/apis/${String(temp.body.id)}`)).status).to.equal(404);
      expect((await api('DELETE', `/apis/${String(temp.body.id)}`)).status).to.equal(404);
      expect((await api('DELETE', `/apis/${encodeURIComponent(server.core.adminApi)}`)).status).to.equal(409);
    });
  });

  describe('clients', () => {
    let webId: string;

    it('POST /clients registers a client and returns its secret once', async () => {
      const created = await api('POST', '/clients', {
        name: 'Web',
        redirect_uris: ['https://app.example.com/cb', 'http://127.0.0.1:9000/cb', 'com.example.app:/cb'],
        post_logout_redirect_uris: ['https://app.example.com/'],
        apis: [ORDERS],
        logo_uri: 'https://app.example.com/logo.png',
      });
      expect(created.status).to.equal(201);
      const body = shaped(clientResponseSchema, created.body);
      expect(body.client_secret).to.be.a('string').with.length.greaterThanOrEqual(43);
      expect(body).to.deep.include({ name: 'Web', application_type: 'native', default_api: ORDERS, is_admin: false, dynamic: false });
      expect(body.grant_types).to.deep.equal(['authorization_code', 'refresh_token']);
      expect(body.secrets).to.have.length(1);
      webId = body.client_id;
      const shown = await api('GET', `/clients/${webId}`);
      expect(shown.status).to.equal(200);
      expect(shown.body).to.not.have.property('client_secret');
      expect(JSON.stringify(shown.body)).to.not.include('hmac-sha256');
    });

    it('POST /clients refuses bad redirect and link URIs, mass assignment and unknown fields, writing nothing', async () => {
      const before = await count('/clients');
      await expectInvalid(
        'POST',
        '/clients',
        {
          name: 'Bad',
          redirect_uris: ['http://app.example.com/cb', 'https://app.example.com/cb#frag', 'https://*.example.com/cb', 'javascript:alert(1)', 'data:text/html,hi'],
        },
        ['body.redirect_uris.0', 'body.redirect_uris.1', 'body.redirect_uris.2', 'body.redirect_uris.3', 'body.redirect_uris.4'],
      );
      await expectInvalid('POST', '/clients', { name: 'Bad', redirect_uris: ['https://a.example.com/cb'], logo_uri: 'http://a.example.com/l.png', tos_uri: 'javascript:x', policy_uri: 'ftp://a.example.com' }, ['body.logo_uri', 'body.tos_uri', 'body.policy_uri']);
      await expectInvalid('POST', '/clients', { name: 'Bad', client_id: 'chosen', client_secret: 'chosen', created_at: '2020-01-01', dynamic: true }, ['body.client_id', 'body.client_secret', 'body.created_at', 'body.dynamic']);
      await expectInvalid('POST', '/clients', { name: 'Bad', redirectUris: ['https://a.example.com/cb'] }, ['body.redirectUris']);
      await expectInvalid('POST', '/clients', { name: 'Bad', grant_types: ['client_credentials'], apis: ['https://unknown.example.com'] }, ['body.apis']);
      await expectInvalid('POST', '/clients', { name: 'Bad', grant_types: ['password'] }, ['body.grant_types.0']);
      await expectInvalid('POST', '/clients', { name: 'Bad', grant_types: ['client_credentials'], apis: [ORDERS], scope: 'orders:read billing:read' }, ['body.scope']);
      await expectInvalid('POST', '/clients', { name: '' }, ['body.name']);
      await expectInvalid('POST', '/clients', undefined, ['body']);
      expect(await count('/clients')).to.equal(before);
    });

    it('GET /clients lists with filters and a cursor', async () => {
      const first = await api<{ items: Body[]; next_cursor: string | null }>('GET', '/clients?limit=1');
      expect(first.body.items).to.have.length(1);
      expect(first.body.next_cursor).to.be.a('string');
      const second = await api<{ items: Body[] }>('GET', `/clients?limit=1&cursor=${first.body.next_cursor!}`);
      expect(second.body.items[0]!.client_id).to.not.equal(first.body.items[0]!.client_id);
      const admins = await api<{ items: Body[] }>('GET', '/clients?is_admin=true');
      expect(admins.body.items.every((c) => c.is_admin === true)).to.equal(true);
      const forOrders = await api<{ items: Body[] }>('GET', `/clients?api=${encodeURIComponent(ORDERS)}&q=web`);
      expect(forOrders.body.items.map((c) => c.client_id)).to.deep.equal([webId]);
      await expectInvalid('GET', '/clients?cursor=garbage&bogus=1&dynamic=yes', undefined, ['query.cursor', 'query.bogus', 'query.dynamic']);
      // A cursor of the right shape holding no real moment is refused too, not sent to Postgres (a 500).
      const forged = (createdAt: string) => Buffer.from(JSON.stringify([createdAt, 'x'])).toString('base64url');
      for (const createdAt of ['2020-02-30T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', '9999-99-99T99:99:99.999999Z', '2026-11-29T24:00:00.000000Z']) {
        for (const list of ['/clients', '/apis', '/users', '/roles', '/registration-tokens']) {
          await expectInvalid('GET', `${list}?cursor=${forged(createdAt)}`, undefined, ['query.cursor']);
        }
      }
      expect((await api('GET', '/clients/no%20such')).status).to.equal(400);
      expect((await api('GET', '/clients/nosuchclient')).status).to.equal(404);
    });

    it('PATCH /clients/{client_id} changes what is given and validates the result, writing nothing on error', async () => {
      const path = `/clients/${webId}`;
      const changed = await api('PATCH', path, { name: 'Web v2', redirect_uris: ['https://app.example.com/cb2'], logo_uri: null });
      expect(changed.status).to.equal(200);
      expect(changed.body).to.deep.include({ name: 'Web v2', redirect_uris: ['https://app.example.com/cb2'], application_type: 'web' });
      expect(changed.body).to.not.have.property('logo_uri');
      await expectInvalid('PATCH', path, { redirect_uris: ['https://app.example.com/cb#x'], client_secret: 'x', is_admin: true }, ['body.redirect_uris.0', 'body.client_secret', 'body.is_admin']);
      await expectInvalid('PATCH', path, { redirect_uris: [] }, ['body.redirect_uris']);
      await expectInvalid('PATCH', path, { token_endpoint_auth_method: 'none' }, ['body.token_endpoint_auth_method']);
      expect((await api('GET', path)).body).to.deep.include({ name: 'Web v2', redirect_uris: ['https://app.example.com/cb2'] });
      expect((await api('PATCH', '/clients/nosuchclient', { name: 'x' })).status).to.equal(404);
    });

    it('never widens a client\'s scope when its grant types or APIs change without a scope', async () => {
      const scopes = async (id: string) => String((await api('GET', `/clients/${id}`)).body.scope).split(' ').sort();
      // A read-only admin client stays read-only.
      const reader = await api('POST', '/clients', { name: 'CI reader', is_admin: true, scope: 'admin:read' });
      const readerId = String(reader.body.client_id);
      expect((await api('PATCH', `/clients/${readerId}`, { grant_types: ['client_credentials'] })).status).to.equal(200);
      expect(await scopes(readerId)).to.deep.equal(['admin:read']);
      expect((await api('PATCH', `/clients/${readerId}`, { apis: [server.core.adminApi] })).status).to.equal(200);
      expect(await scopes(readerId)).to.deep.equal(['admin:read']);
      // A narrowed web client keeps its scope when it gains a grant type or has its APIs set again.
      const narrow = await api('POST', '/clients', { name: 'Narrow', redirect_uris: ['https://n.example.com/cb'], apis: [ORDERS], scope: 'openid orders:read' });
      const narrowId = String(narrow.body.client_id);
      expect((await api('PATCH', `/clients/${narrowId}`, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] })).status).to.equal(200);
      expect(await scopes(narrowId)).to.deep.equal(['openid', 'orders:read']);
      expect((await api('PATCH', `/clients/${narrowId}`, { apis: [ORDERS] })).status).to.equal(200);
      expect(await scopes(narrowId)).to.deep.equal(['openid', 'orders:read']);
      // An API added now brings its scopes, as at creation.
      await api('POST', '/apis', { identifier: 'https://added.example.com', scopes: [{ name: 'added:read' }] });
      expect((await api('PATCH', `/clients/${narrowId}`, { apis: [ORDERS, 'https://added.example.com'] })).status).to.equal(200);
      expect(await scopes(narrowId)).to.deep.equal(['added:read', 'openid', 'orders:read']);
    });

    it('POST /clients/{client_id}/rotate-secret returns a new secret once; the old one stops at once, or after the overlap', async () => {
      const worker = await api('POST', '/clients', { name: 'Worker', grant_types: ['client_credentials'], apis: [ORDERS], scope: 'orders:read' });
      const id = String(worker.body.client_id);
      const first = String(worker.body.client_secret);
      expect(await tokenFor(id, first)).to.equal(200);

      const rotated = await api('POST', `/clients/${id}/rotate-secret`);
      expect(rotated.status).to.equal(200);
      const second = String(shaped(clientResponseSchema, rotated.body).client_secret);
      expect(second).to.not.equal(first);
      expect(await tokenFor(id, second)).to.equal(200);
      expect(await tokenFor(id, first)).to.equal(401);

      const overlapped = await api('POST', `/clients/${id}/rotate-secret`, { overlap_seconds: 3600 });
      const third = String(overlapped.body.client_secret);
      expect(await tokenFor(id, third)).to.equal(200);
      expect(await tokenFor(id, second)).to.equal(200);
      expect((overlapped.body.secrets as Body[]).filter((s) => s.expires_at !== null)).to.have.length(1);
      expect((await api('GET', `/clients/${id}`)).body).to.not.have.property('client_secret');

      await expectInvalid('POST', `/clients/${id}/rotate-secret`, { overlap_seconds: -1 }, ['body.overlap_seconds']);
      await expectInvalid('POST', `/clients/${id}/rotate-secret`, { overlap_seconds: 10 * 365 * 24 * 3600, also: 1 }, ['body.overlap_seconds', 'body.also']);
      expect(await tokenFor(id, third)).to.equal(200);
      const spa = await api('POST', '/clients', { name: 'SPA', public: true, redirect_uris: ['http://localhost:5173/cb'] });
      expect((await api('POST', `/clients/${String(spa.body.client_id)}/rotate-secret`)).status).to.equal(409);
      expect((await api('POST', '/clients/nosuchclient/rotate-secret')).status).to.equal(404);
    });

    it('POST /clients with is_admin makes an admin client that can drive the admin API', async () => {
      const created = await api('POST', '/clients', { name: 'CI pipeline', is_admin: true, scope: 'admin:read' });
      expect(created.status).to.equal(201);
      expect(created.body).to.deep.include({ is_admin: true, grant_types: ['client_credentials'], apis: [server.core.adminApi], scope: 'admin:read' });
      const token = await clientCredentialsToken(server, { clientId: String(created.body.client_id), clientSecret: String(created.body.client_secret) }, { resource: server.core.adminApi, scope: 'admin:read' });
      expect((await adminApi(server, token)('GET', '/apis')).status).to.equal(200);
      await expectInvalid('POST', '/clients', { name: 'Bad admin', is_admin: true, redirect_uris: ['https://a.example.com/cb'], grant_types: ['authorization_code'] }, ['body.redirect_uris', 'body.grant_types']);
    });

    it('DELETE /clients/{client_id} deletes; its tokens stop working', async () => {
      const worker = await api('POST', '/clients', { name: 'Doomed', grant_types: ['client_credentials'], apis: [ORDERS], scope: 'orders:read' });
      const id = String(worker.body.client_id);
      expect((await api('DELETE', `/clients/${id}`)).status).to.equal(204);
      expect((await api('GET', `/clients/${id}`)).status).to.equal(404);
      expect((await api('DELETE', `/clients/${id}`)).status).to.equal(404);
      expect(await tokenFor(id, String(worker.body.client_secret))).to.equal(401);
    });

    it('records client and admin changes in the audit log with the acting admin client', async () => {
      await server.core.audit.flush();
      const events = await server.core.repositories.audit.query({ limit: 500 });
      const types = new Set(events.map((e) => e.type));
      for (const type of ['client.created', 'client.updated', 'client.deleted', 'client.secret_rotated', 'admin.api.created', 'admin.api.updated', 'admin.api.deleted', 'admin.api.scope_set', 'admin.role.created']) {
        expect(types, type).to.include(type);
      }
      const created = events.find((e) => e.type === 'client.created' && e.clientId === webId)!;
      expect((created.details as { actor: { via: string; client_id: string } }).actor.via).to.equal('admin_api');
      expect(created.requestId).to.be.a('string');
      expect(JSON.stringify(events)).to.not.include('hmac-sha256');
    });
  });
});
