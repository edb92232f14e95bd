// The admin API for users (with passwords, roles, grants and sessions), roles, registration tokens
// and signing keys: every operation with valid and invalid input; disabling a user ends their
// access at once; lists page stably while rows are added and removed.
import { expect } from 'chai';
import * as oidc from 'openid-client';
import type { z } from 'zod';

import {
  grantResponseSchema,
  registrationTokenResponseSchema,
  roleResponseSchema,
  sessionResponseSchema,
  signingKeyResponseSchema,
  userResponseSchema,
} from '../../src/schemas/responses.js';
import { adminApi, adminToken } from '../helpers/admin.js';
import { FormBrowser } from '../helpers/browser.js';
import { createApi, createResourceServerClient, createWebClient, PASSWORD, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type Body = Record<string, unknown>;
const ORDERS = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

describe('admin API: users, roles, grants, sessions, registration tokens, signing keys', () => {
  let server: TestServer;
  let api: ReturnType<typeof adminApi>;
  let app: oidc.Configuration;
  let rs: oidc.Configuration;

  const shaped = <S extends z.ZodType>(schema: S, body: unknown) => schema.parse(body) as z.output<S>;
  const fieldsOf = (body: Body) => (body.fields as { path: string }[]).map((f) => f.path);
  const expectInvalid = async (method: string, path: string, body: unknown, fields: string[]) => {
    const response = await api(method, path, body);
    expect(response.status, JSON.stringify(response.body)).to.equal(400);
    expect(fieldsOf(response.body)).to.include.members(fields);
  };
  const signInAs = async (login: string) => {
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid offline_access orders:read', resource: ORDERS, prompt: 'consent' });
    const { callback } = await signIn(browser, start.url, REDIRECT, { login });
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    return { tokens, browser };
  };

  before(async () => {
    server = await startTestServer();
    api = adminApi(server, await adminToken(server));
    await createApi(server.core, ORDERS, ['orders:read']);
    const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [ORDERS] });
    app = await relyingParty(server.issuer, web.clientId, web.clientSecret);
    const rsClient = await createResourceServerClient(server.core, ORDERS);
    rs = await relyingParty(server.issuer, rsClient.clientId, rsClient.clientSecret);
  });

  after(async () => server?.stop());

  describe('roles', () => {
    it('POST, GET, PATCH /roles manage roles; bad names and unknown fields are refused', async () => {
      const created = await api('POST', '/roles', { name: 'staff', description: 'Employees' });
      expect(created.status).to.equal(201);
      expect(shaped(roleResponseSchema, created.body)).to.include({ name: 'staff', description: 'Employees' });
      expect((await api('POST', '/roles', { name: 'staff' })).status).to.equal(409);
      await expectInvalid('POST', '/roles', { name: 'has space', id: 'x' }, ['body.name', 'body.id']);
      expect((await api('GET', '/roles/staff')).body.name).to.equal('staff');
      expect((await api('GET', '/roles/nobody')).status).to.equal(404);
      expect((await api('GET', '/roles/bad%20name')).status).to.equal(400);
      const patched = await api('PATCH', '/roles/staff', { description: 'All employees' });
      expect(patched.body.description).to.equal('All employees');
      await expectInvalid('PATCH', '/roles/staff', { name: 'renamed' }, ['body.name']);
      const listed = await api<{ items: Body[] }>('GET', '/roles?q=sta');
      expect(listed.body.items.map((r) => r.name)).to.deep.equal(['staff']);
    });

    it('DELETE /roles/{role} refuses while the role restricts a scope, then deletes', async () => {
      await api('POST', '/roles', { name: 'auditor' });
      await api('PUT', `/apis/${encodeURIComponent(ORDERS)}/scopes/orders:audit`, { roles: ['auditor'] });
      const refused = await api('DELETE', '/roles/auditor');
      expect(refused.status).to.equal(409);
      expect(String(refused.body.message)).to.include('orders:audit');
      await api('DELETE', `/apis/${encodeURIComponent(ORDERS)}/scopes/orders:audit`);
      expect((await api('DELETE', '/roles/auditor')).status).to.equal(204);
      expect((await api('DELETE', '/roles/auditor')).status).to.equal(404);
    });

    it('DELETE sent several times at once deletes once: one 204, the others 404, one audit event (roles and APIs)', async () => {
      await api('POST', '/roles', { name: 'racing' });
      await api('POST', '/apis', { identifier: 'https://racing.example.com', scopes: [{ name: 'r' }] });
      for (const path of ['/roles/racing', `/apis/${encodeURIComponent('https://racing.example.com')}`]) {
        const answers = await Promise.all(Array.from({ length: 4 }, () => api('DELETE', path)));
        expect(answers.map((a) => a.status).sort(), path).to.deep.equal([204, 404, 404, 404]);
      }
      await server.core.audit.flush();
      const roleEvents = (await server.core.repositories.audit.query({ type: 'admin.role.deleted', limit: 50 })).filter((e) => e.details?.role === 'racing');
      expect(roleEvents).to.have.length(1);
    });
  });

  describe('users', () => {
    let bobId: string;

    it('POST /users creates a user with roles and profile; the password is never shown', async () => {
      const created = await api('POST', '/users', {
        username: 'bob',
        email: 'bob@example.com',
        email_verified: true,
        name: 'Bob',
        password: PASSWORD,
        roles: ['staff'],
        profile: { given_name: 'Bob', locale: 'en-GB' },
      });
      expect(created.status).to.equal(201);
      const body = shaped(userResponseSchema, created.body);
      expect(body).to.deep.include({ username: 'bob', roles: ['staff'], has_password: true, disabled: false });
      expect(body.profile).to.deep.equal({ given_name: 'Bob', locale: 'en-GB' });
      expect(JSON.stringify(body)).to.not.include('argon2');
      bobId = body.id;
    });

    it('POST /users refuses invalid input and writes nothing', async () => {
      const before = (await api<{ items: unknown[] }>('GET', '/users')).body.items.length;
      await expectInvalid('POST', '/users', { username: 'a@b', password: 'short', email: 'not-an-email' }, ['body.username', 'body.password', 'body.email']);
      await expectInvalid('POST', '/users', { username: 'carol', roles: ['nobody'] }, ['body.roles']);
      await expectInvalid('POST', '/users', { username: 'carol', password_hash: '$argon2id$...', disabled: true, profile: { shoe_size: 44 } }, ['body.password_hash', 'body.disabled', 'body.profile.shoe_size']);
      expect((await api('POST', '/users', { username: 'BOB', password: PASSWORD })).status).to.equal(409);
      expect((await api<{ items: unknown[] }>('GET', '/users')).body.items.length).to.equal(before);
    });

    it('GET /users filters; GET /users/{user} by id or username', async () => {
      await api('POST', '/users', { username: 'carol' });
      const staff = await api<{ items: Body[] }>('GET', '/users?role=staff');
      expect(staff.body.items.map((u) => u.username)).to.deep.equal(['bob']);
      const search = await api<{ items: Body[] }>('GET', '/users?q=caro&disabled=false');
      expect(search.body.items.map((u) => u.username)).to.deep.equal(['carol']);
      expect(search.body.items[0]!.has_password).to.equal(false);
      expect((await api('GET', `/users/${bobId}`)).body.username).to.equal('bob');
      expect((await api('GET', '/users/bob')).body.id).to.equal(bobId);
      expect((await api('GET', '/users/nobody')).status).to.equal(404);
      await expectInvalid('GET', '/users?disabled=yes&role=bad%20role', undefined, ['query.disabled', 'query.role']);
    });

    it('PATCH /users/{user} changes fields and validates them', async () => {
      const patched = await api('PATCH', '/users/bob', { name: 'Robert', email: null });
      expect(patched.status).to.equal(200);
      expect(patched.body).to.include({ name: 'Robert', email: null, email_verified: false });
      // A new address is not verified unless the change says so (ID tokens would claim it was).
      expect((await api('PATCH', '/users/bob', { email: 'bob@example.com', email_verified: true })).body).to.include({ email_verified: true });
      expect((await api('PATCH', '/users/bob', { email: 'robert@example.com' })).body).to.include({ email: 'robert@example.com', email_verified: false });
      await expectInvalid('PATCH', '/users/bob', { email: 'nope', username: 'bobby' }, ['body.email', 'body.username']);
      expect((await api('PATCH', '/users/nobody', { name: 'x' })).status).to.equal(404);
      await api('PATCH', '/users/carol', { email: 'carol@example.com' });
      expect((await api('PATCH', '/users/bob', { email: 'carol@example.com' })).status).to.equal(409);
    });

    it('PUT /users/{user}/password sets a password that then signs in', async () => {
      expect((await api('PUT', '/users/carol/password', { password: 'carols new passphrase' })).status).to.equal(204);
      expect(await server.core.users.authenticate('carol', 'carols new passphrase')).to.not.equal(undefined);
      await expectInvalid('PUT', '/users/carol/password', { password: 'short' }, ['body.password']);
      await expectInvalid('PUT', '/users/carol/password', {}, ['body.password']);
      expect((await api('PUT', '/users/nobody/password', { password: 'long enough password' })).status).to.equal(404);
    });

    it('PUT/DELETE /users/{user}/roles manage roles', async () => {
      await api('POST', '/roles', { name: 'manager' });
      const set = await api('PUT', '/users/carol/roles', { roles: ['staff', 'manager'] });
      expect(set.body.roles).to.deep.equal(['manager', 'staff']);
      await expectInvalid('PUT', '/users/carol/roles', { roles: ['staff', 'staff'] }, ['body.roles']);
      await expectInvalid('PUT', '/users/carol/roles', { roles: ['ghost'] }, ['body.roles']);
      const removed = await api('DELETE', '/users/carol/roles/manager');
      expect(removed.body.roles).to.deep.equal(['staff']);
      expect((await api('DELETE', '/users/carol/roles/manager')).status).to.equal(404);
      const added = await api('PUT', '/users/carol/roles/manager');
      expect(added.body.roles).to.deep.equal(['manager', 'staff']);
      expect((await api('PUT', '/users/carol/roles/ghost')).status).to.equal(404);
      expect((await api('PUT', '/users/carol/roles/bad%20name')).status).to.equal(400);
    });

    it('GET and DELETE /users/{user}/grants list and revoke grants; the tokens stop working', async () => {
      const { tokens } = await signInAs('bob');
      const grants = await api<{ items: Body[] }>('GET', '/users/bob/grants');
      expect(grants.status).to.equal(200);
      const grant = shaped(grantResponseSchema, grants.body.items[0]);
      expect(grant.client_id).to.equal(app.clientMetadata().client_id);
      expect(grant.api_scopes[ORDERS]).to.deep.equal(['orders:read']);
      expect((await oidc.tokenIntrospection(rs, tokens.access_token)).active).to.equal(true);

      expect((await api('DELETE', `/users/bob/grants/${grant.grant_id}`)).status).to.equal(204);
      expect(await oidc.tokenIntrospection(rs, tokens.access_token)).to.deep.equal({ active: false });
      const refresh = await oidc.refreshTokenGrant(app, tokens.refresh_token!).catch((e: unknown) => e);
      expect((refresh as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      expect((await api('DELETE', `/users/bob/grants/${grant.grant_id}`)).status).to.equal(404);
      expect((await api('GET', '/users/nobody/grants')).status).to.equal(404);
    });

    it('GET and DELETE /users/{user}/sessions list and end sessions', async () => {
      expect((await api('DELETE', '/users/bob/sessions')).status).to.equal(204);
      await signInAs('bob');
      const { tokens } = await signInAs('bob');
      const sessions = await api<{ items: Body[] }>('GET', '/users/bob/sessions');
      expect(sessions.body.items).to.have.length(2);
      const session = shaped(sessionResponseSchema, sessions.body.items[0]);
      expect(session.clients).to.deep.equal([app.clientMetadata().client_id]);
      expect(JSON.stringify(sessions.body)).to.not.match(/"id":/);

      expect((await api('DELETE', `/users/bob/sessions/${session.uid}`)).status).to.equal(204);
      expect((await api<{ items: unknown[] }>('GET', '/users/bob/sessions')).body.items).to.have.length(1);
      expect((await api('DELETE', `/users/bob/sessions/${session.uid}`)).status).to.equal(404);

      expect((await api('DELETE', '/users/bob/sessions')).status).to.equal(204);
      expect((await api<{ items: unknown[] }>('GET', '/users/bob/sessions')).body.items).to.have.length(0);
      expect(await oidc.tokenIntrospection(rs, tokens.access_token)).to.deep.equal({ active: false });
    });

    it('PATCH disabled=true ends sessions, revokes tokens, refuses refresh and sign-in; enabling lets them in again', async () => {
      const { tokens } = await signInAs('bob');
      expect((await oidc.tokenIntrospection(rs, tokens.access_token)).active).to.equal(true);
      const disabled = await api('PATCH', '/users/bob', { disabled: true });
      expect(disabled.body.disabled).to.equal(true);
      expect(await oidc.tokenIntrospection(rs, tokens.access_token)).to.deep.equal({ active: false });
      const refresh = await oidc.refreshTokenGrant(app, tokens.refresh_token!).catch((e: unknown) => e);
      expect((refresh as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      expect((await api<{ items: unknown[] }>('GET', '/users/bob/sessions')).body.items).to.have.length(0);
      expect(await server.core.users.authenticate('bob', PASSWORD)).to.equal(undefined);
      const denied = await signInAs('bob').catch((e: Error) => e);
      expect(denied).to.be.instanceOf(Error);
      const disabledList = await api<{ items: Body[] }>('GET', '/users?disabled=true');
      expect(disabledList.body.items.map((u) => u.username)).to.deep.equal(['bob']);

      await api('PATCH', '/users/bob', { disabled: false });
      expect((await signInAs('bob')).tokens.access_token).to.be.a('string');
    });

    it('DELETE /users/{user} deletes the user and revokes their tokens', async () => {
      const { tokens } = await signInAs('carol').catch(async () => {
        await api('PUT', '/users/carol/password', { password: PASSWORD });
        return signInAs('carol');
      });
      expect((await api('DELETE', '/users/carol')).status).to.equal(204);
      expect(await oidc.tokenIntrospection(rs, tokens.access_token)).to.deep.equal({ active: false });
      expect((await api('GET', '/users/carol')).status).to.equal(404);
      expect((await api('DELETE', '/users/carol')).status).to.equal(404);
    });
  });

  describe('registration tokens and signing keys', () => {
    it('POST /registration-tokens issues a token shown once; GET never shows it; DELETE revokes', async () => {
      const created = await api('POST', '/registration-tokens', { ttl_seconds: 3600, max_uses: 2, description: 'CI' });
      expect(created.status).to.equal(201);
      const body = shaped(registrationTokenResponseSchema, created.body);
      expect(body.token).to.match(/^ghiat_/);
      expect(body).to.include({ max_uses: 2, uses: 0, active: true, description: 'CI' });
      const shown = await api('GET', `/registration-tokens/${body.id}`);
      expect(shown.body).to.not.have.property('token');
      const listed = await api<{ items: Body[] }>('GET', '/registration-tokens?active=true');
      expect(listed.body.items.map((t) => t.id)).to.include(body.id);
      expect(JSON.stringify(listed.body)).to.not.include(body.token!);
      expect((await api('POST', '/registration-tokens')).status).to.equal(201);
      await expectInvalid('POST', '/registration-tokens', { ttl_seconds: 5, max_uses: 0, token: 'mine' }, ['body.ttl_seconds', 'body.max_uses', 'body.token']);
      expect((await api('DELETE', `/registration-tokens/${body.id}`)).status).to.equal(204);
      expect((await api('GET', `/registration-tokens/${body.id}`)).body.active).to.equal(false);
      expect((await api('GET', '/registration-tokens/00000000-0000-4000-8000-000000000000')).status).to.equal(404);
      expect((await api('DELETE', '/registration-tokens/00000000-0000-4000-8000-000000000000')).status).to.equal(404);
      await expectInvalid('GET', '/registration-tokens/not-a-uuid', undefined, ['params.id']);
    });

    it('GET /signing-keys lists public keys only', async () => {
      const keys = await api<{ items: Body[] }>('GET', '/signing-keys');
      expect(keys.status).to.equal(200);
      expect(keys.body.items.length).to.be.greaterThanOrEqual(2);
      for (const key of keys.body.items) {
        const parsed = shaped(signingKeyResponseSchema, key);
        expect(parsed.public_jwk).to.not.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');
      }
      await expectInvalid('GET', '/signing-keys?limit=1', undefined, ['query.limit']);
    });
  });

  describe('pagination', () => {
    it('pages through a list without duplicates or gaps while rows are added and removed', async () => {
      for (let i = 0; i < 9; i += 1) await api('POST', '/roles', { name: `page-${i}` });
      const original = (await api<{ items: Body[] }>('GET', '/roles?limit=200&q=page-')).body.items.map((r) => String(r.name));
      expect(original).to.have.length(9);
      const seen: string[] = [];
      let cursor: string | null = null;
      let round = 0;
      do {
        const page: { items: Body[]; next_cursor: string | null } = (await api<{ items: Body[]; next_cursor: string | null }>('GET', `/roles?limit=3&q=page-${cursor ? `&cursor=${cursor}` : ''}`)).body;
        seen.push(...page.items.map((r) => String(r.name)));
        cursor = page.next_cursor;
        // Concurrent writes between pages: a new role, and one already seen deleted.
        await api('POST', '/roles', { name: `page-new-${round}` });
        if (round === 0) await api('DELETE', `/roles/${seen[0]!}`);
        round += 1;
      } while (cursor && round < 20);
      expect(new Set(seen).size).to.equal(seen.length);
      expect(seen).to.include.members(original);
    });
  });
});
