// Roles and least privilege: a user never gets, and a token never carries, an API scope restricted
// to roles the user does not hold, whatever the client asks (through consent, refresh, remembered
// consent, or a crafted request); APIs that ask get a `roles` claim; and a client gets only the
// grant types and scopes it is assigned (anything else: unauthorized_client / invalid_scope).
import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { FormBrowser, formAction, hiddenField } from '../helpers/browser.js';
import { createMachineClient, createResourceServerClient, createUser, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const ORDERS = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';
const BOTH = 'openid offline_access orders:read orders:write';

describe('roles and least privilege', () => {
  let server: TestServer;
  let app: oidc.Configuration;
  let rs: oidc.Configuration;

  /** Signs a user in for the shop; `prompt` null asks for no prompt (remembered consent may then apply). */
  const signInFor = async (login: string, scope = BOTH, browser = new FormBrowser(), prompt: string | null = 'consent') => {
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope, resource: ORDERS, prompt: prompt ?? undefined });
    const { callback, pages } = await signIn(browser, start.url, REDIRECT, { login });
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const consent = pages.find((p) => p.body.includes('/confirm'));
    return { tokens, consent, browser };
  };
  const scopeOf = (accessToken: string) => String(decodeJwt(accessToken).scope ?? '').split(' ').filter(Boolean);

  before(async () => {
    server = await startTestServer();
    await server.core.roles.create({ name: 'staff' });
    await server.core.apis.create({
      identifier: ORDERS,
      scopes: [
        { name: 'orders:read', description: 'See your orders' },
        { name: 'orders:write', description: 'Change any order', roles: ['staff'] },
      ],
      rolesClaim: true,
    });
    await createUser(server.core, 'alice');
    await createUser(server.core, 'sam');
    await server.core.users.addRole('sam', 'staff');
    const { client, clientSecret } = await server.core.clients.create({ name: 'Shop', redirectUris: [REDIRECT], apis: [ORDERS] });
    app = await relyingParty(server.issuer, client.clientId, clientSecret);
    const rsClient = await createResourceServerClient(server.core, ORDERS);
    rs = await relyingParty(server.issuer, rsClient.clientId, rsClient.clientSecret);
  });

  after(async () => server?.stop());

  it('shows a user without the role only the grantable scopes, and grants and issues only those', async () => {
    const { tokens, consent } = await signInFor('alice');
    expect(consent!.body).to.include('orders:read').and.include('See your orders');
    expect(consent!.body).to.not.include('orders:write').and.not.include('Change any order');
    expect(scopeOf(tokens.access_token)).to.deep.equal(['orders:read']);
    expect(tokens.scope?.split(' ')).to.not.include('orders:write');
    const alice = await server.core.users.show('alice');
    const grants = await server.core.userAccess.listGrants(alice.id);
    expect(grants.flatMap((g) => g.apiScopes[ORDERS] ?? [])).to.not.include('orders:write');
  });

  it('asked again with prompt=consent, lists only what the user holds, and the audit names it', async () => {
    const { browser } = await signInFor('alice');
    const { tokens, consent } = await signInFor('alice', BOTH, browser);
    expect(consent!.body).to.include('orders:read').and.include('See your orders');
    expect(consent!.body).to.not.include('orders:write').and.not.include('Change any order');
    expect(scopeOf(tokens.access_token)).to.deep.equal(['orders:read']);
    await server.core.audit.flush();
    const [granted] = await server.core.repositories.audit.query({ type: 'consent.granted', limit: 1 });
    expect(JSON.stringify(granted!.details)).to.include('orders:read').and.not.include('orders:write');
  });

  it('grants a restricted scope to a user with the role, and puts their roles in the token for an API that asks', async () => {
    const { tokens, consent } = await signInFor('sam');
    expect(consent!.body).to.include('orders:write').and.include('Change any order');
    const jwks = createRemoteJWKSet(new URL(app.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: ORDERS, typ: 'at+jwt' });
    expect(String(payload.scope).split(' ')).to.have.members(['orders:read', 'orders:write']);
    expect(payload.roles).to.deep.equal(['staff']);
    const introspected = await oidc.tokenIntrospection(rs, tokens.access_token);
    expect(introspected).to.include({ active: true });
    expect(introspected.roles).to.deep.equal(['staff']);
    // Alice's token for the same API carries an empty roles claim, not someone else's.
    const alice = await signInFor('alice', 'openid orders:read', new FormBrowser(), null);
    expect(decodeJwt(alice.tokens.access_token).roles).to.deep.equal([]);
  });

  it('ignores scopes smuggled into the consent form: what is granted comes from the server', async () => {
    const browser = new FormBrowser();
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: BOTH, resource: ORDERS, prompt: 'consent' });
    let page = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    page = await browser.post(new URL(formAction(page.body, '/login'), page.url).toString(), { csrf: hiddenField(page.body, 'csrf'), login: 'alice', password: 'correct horse battery staple' });
    page = await browser.follow(page, REDIRECT);
    page = await browser.post(new URL(formAction(page.body, '/confirm'), page.url).toString(), {
      csrf: hiddenField(page.body, 'csrf'),
      scope: 'orders:write',
      missingResourceScopes: JSON.stringify({ [ORDERS]: ['orders:write'] }),
    });
    page = await browser.follow(page, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(app, new URL(page.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(scopeOf(tokens.access_token)).to.deep.equal(['orders:read']);
  });

  it('refuses a crafted refresh asking for a scope the refresh token never had', async () => {
    const { tokens } = await signInFor('alice');
    const error = await oidc.refreshTokenGrant(app, tokens.refresh_token!, { scope: 'orders:read orders:write' }).catch((e: unknown) => e);
    expect((error as oidc.ResponseBodyError).error).to.equal('invalid_scope');
  });

  it('drops a restricted scope at the next refresh once the role is taken away', async () => {
    const { tokens } = await signInFor('sam');
    expect(scopeOf(tokens.access_token)).to.include('orders:write');
    await server.core.users.removeRole('sam', 'staff');
    try {
      const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token!);
      expect(scopeOf(refreshed.access_token)).to.deep.equal(['orders:read']);
      expect(decodeJwt(refreshed.access_token).roles).to.deep.equal([]);
      const introspected = await oidc.tokenIntrospection(rs, refreshed.access_token);
      expect(introspected.scope).to.equal('orders:read');
    } finally {
      await server.core.users.addRole('sam', 'staff');
    }
  });

  it('does not restore a restricted scope from remembered consent after the role is taken away', async () => {
    await signInFor('sam');
    await server.core.users.removeRole('sam', 'staff');
    try {
      // No consent prompt: the remembered consent is reused, but only for what sam may still hold.
      const { tokens, consent } = await signInFor('sam', 'openid orders:read orders:write', new FormBrowser(), null);
      expect(consent).to.equal(undefined);
      expect(scopeOf(tokens.access_token)).to.deep.equal(['orders:read']);
      // Not only the token: the grant rebuilt from the remembered consent lacks the scope too.
      const sam = await server.core.users.show('sam');
      const grant = (await server.core.userAccess.listGrants(sam.id)).find((g) => g.grantId === decodeJwt(tokens.access_token).gid)!;
      expect(grant.apiScopes[ORDERS]).to.deep.equal(['orders:read']);
    } finally {
      await server.core.users.addRole('sam', 'staff');
    }
  });

  it('offers the restricted scope once the user is given the role', async () => {
    await server.core.users.addRole('alice', 'staff');
    try {
      const { tokens, consent } = await signInFor('alice');
      expect(consent!.body).to.include('orders:write');
      expect(scopeOf(tokens.access_token)).to.have.members(['orders:read', 'orders:write']);
    } finally {
      await server.core.users.removeRole('alice', 'staff');
    }
  });

  it('refuses (invalid_scope) a scope the client is not assigned, at the authorization endpoint', async () => {
    const { client, clientSecret } = await server.core.clients.create({ name: 'Reader', redirectUris: [REDIRECT], apis: [ORDERS], scope: 'openid orders:read' });
    const reader = await relyingParty(server.issuer, client.clientId, clientSecret);
    for (const [scope, resource] of [
      ['openid orders:write', ORDERS],
      ['openid profile', undefined],
      ['openid billing:read', undefined],
      ['openid orders:read unknown:scope', ORDERS],
    ] as const) {
      const browser = new FormBrowser();
      const start = await startAuthorization(reader, { redirectUri: REDIRECT, scope, resource });
      const page = await browser.get(start.url.toString());
      const callback = new URL(page.location!);
      expect(callback.origin + callback.pathname, scope).to.equal(REDIRECT);
      expect(callback.searchParams.get('error'), scope).to.equal('invalid_scope');
      expect(callback.searchParams.get('state')).to.equal(start.state);
    }
  });

  it('refuses (unauthorized_client) a grant type the client is not assigned', async () => {
    const { client, clientSecret } = await server.core.clients.create({ name: 'Machine with a redirect URI', grantTypes: ['client_credentials'], redirectUris: [REDIRECT], apis: [ORDERS] });
    const worker = await relyingParty(server.issuer, client.clientId, clientSecret);
    const start = await startAuthorization(worker, { redirectUri: REDIRECT, scope: 'orders:read', resource: ORDERS });
    const page = await new FormBrowser().get(start.url.toString());
    const callback = new URL(page.location!);
    expect(callback.searchParams.get('error')).to.equal('unauthorized_client');
    expect(callback.searchParams.get('state')).to.equal(start.state);
    const formPost = await new FormBrowser().get(`${start.url.toString()}&response_mode=form_post`);
    expect(formPost.body).to.include('name="error" value="unauthorized_client"');

    const viaToken = await oidc.clientCredentialsGrant(app, { scope: 'orders:read', resource: ORDERS }).catch((e: unknown) => e);
    expect((viaToken as oidc.ResponseBodyError).error).to.equal('unauthorized_client');
  });

  it('lets a machine client assigned a role-restricted scope have it: roles restrict users, not machines', async () => {
    const machine = await createMachineClient(server.core, [ORDERS], 'orders:write');
    const worker = await relyingParty(server.issuer, machine.clientId, machine.clientSecret);
    const tokens = await oidc.clientCredentialsGrant(worker, { scope: 'orders:write', resource: ORDERS });
    expect(scopeOf(tokens.access_token)).to.deep.equal(['orders:write']);
    expect(decodeJwt(tokens.access_token)).to.not.have.property('roles');
  });
});
