// The audit log end to end: every security event type is written (with request facts and no
// secrets), queryable through GET /admin/v1/audit-events (filters, keyset pages) and `gatehouse
// audit tail`, and nothing buffered is lost when the server stops gracefully.
import { spawn } from 'node:child_process';

import { expect } from 'chai';

import { adminApi, adminToken } from '../helpers/admin.js';
import { FormBrowser } from '../helpers/browser.js';
import { BIN, cli, ROOT } from '../helpers/cli.js';
import { createApi, createMachineClient, createUser, signIn } from '../helpers/fixtures.js';
import { MAIN, startServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, defaultKind } from '../helpers/test-database.js';
import { testEnv } from '../helpers/test-config.js';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js';
import { basicAuth, pkce, postForm } from '../security/support.js';

const API = 'https://api.example.com';
const REDIRECT = 'https://app.example.com/callback';

interface EventBody {
  id: string;
  type: string;
  outcome: string;
  client_id: string | null;
  user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  occurred_at: string;
  details: Record<string, unknown>;
}

describe('audit log', () => {
  let server: TestServer;
  let token: string;
  let app: { clientId: string; clientSecret: string };
  let userId: string;
  const secrets: string[] = [];

  const events = async (query: Record<string, string> = {}) => {
    await server.core.audit.flush();
    const answer = await adminApi(server, token)('GET', `/audit-events?${new URLSearchParams({ limit: '200', ...query }).toString()}`);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    return answer.body as unknown as { items: EventBody[]; next_cursor: string | null };
  };

  async function signInAndExchange(consent: 'allow' | 'deny' = 'allow') {
    const { verifier, challenge } = pkce();
    const url = new URL(`${server.issuer}/auth?${new URLSearchParams({ client_id: app.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid offline_access read', code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent' }).toString()}`);
    const { callback } = await signIn(new FormBrowser({ 'user-agent': 'audit-test/1.0' }), url, REDIRECT, { consent });
    const code = callback.searchParams.get('code');
    if (!code) return undefined;
    const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT };
    const answer = await postForm(`${server.issuer}/token`, params, { authorization: basicAuth(app.clientId, app.clientSecret) });
    const tokens = answer.json as { access_token: string; refresh_token: string; id_token: string };
    secrets.push(code, tokens.access_token, tokens.refresh_token, tokens.id_token);
    return { tokens, params };
  }

  before(async () => {
    server = await startTestServer({ env: { REFRESH_TOKEN_REUSE_GRACE: '0', RATE_LIMIT_USERINFO_PER_IP: '2/1m' } });
    await createApi(server.core, API, ['read']);
    userId = (await createUser(server.core)).id;
    const created = await server.core.clients.create({ name: 'App', redirectUris: [REDIRECT], apis: [API], scope: 'openid offline_access read' });
    app = { clientId: created.client.clientId, clientSecret: created.clientSecret! };
    secrets.push(app.clientSecret);
    token = await adminToken(server);
    secrets.push(token);

    // Sign-in, consent, code exchange, refresh, reuse of both, revocation, a failed login, a denial.
    const first = (await signInAndExchange())!;
    const refreshed = await postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    secrets.push(String(refreshed.json?.access_token), String(refreshed.json?.refresh_token));
    await postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    const second = (await signInAndExchange())!;
    await postForm(`${server.issuer}/token`, second.params, { authorization: basicAuth(app.clientId, app.clientSecret) });
    const third = (await signInAndExchange())!;
    await postForm(`${server.issuer}/token/revocation`, { token: third.tokens.refresh_token, token_type_hint: 'refresh_token' }, { authorization: basicAuth(app.clientId, app.clientSecret) });
    await signInAndExchange('deny');
    const { challenge } = pkce();
    const browser = new FormBrowser();
    await signIn(browser, new URL(`${server.issuer}/auth?${new URLSearchParams({ client_id: app.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`), REDIRECT, { password: 'wrong password' }).catch(() => undefined);
    // Client credentials, rate limiting, client and key changes, an admin change.
    const machine = await createMachineClient(server.core, [API]);
    await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'read' }, { authorization: basicAuth(machine.clientId, machine.clientSecret) });
    for (let i = 0; i < 3; i += 1) await fetch(`${server.issuer}/me`);
    await server.core.clients.update(machine.clientId, { name: 'Renamed' }, { actor: { via: 'cli' } });
    await server.core.keyRotation.rotate({ algs: ['ES256'] });
    const api = adminApi(server, token);
    const createdByAdmin = await api('POST', '/roles', { name: 'auditors' });
    expect(createdByAdmin.status).to.equal(201);
    await server.core.clients.delete(machine.clientId, { actor: { via: 'cli' } });
  });
  after(async () => server?.stop());

  it('records every security event type', async () => {
    const types = new Set((await events()).items.map((e) => e.type));
    for (const type of [
      'login.success',
      'login.failure',
      'consent.granted',
      'consent.denied',
      'token.issued',
      'token.refreshed',
      'token.revoked',
      'grant.revoked',
      'refresh_token.reused',
      'code.reused',
      'rate_limited',
      'client.created',
      'client.updated',
      'client.deleted',
      'key.rotated',
      'admin.role.created',
    ]) {
      expect(types, type).to.include(type);
    }
  });

  it('with the client, user, IP, user agent and request id of the request', async () => {
    const { items } = await events({ type: 'token.issued', client_id: app.clientId });
    expect(items.length).to.be.at.least(3);
    const event = items[0]!;
    expect(event).to.deep.include({ outcome: 'success', client_id: app.clientId, user_id: userId, ip: '127.0.0.1' });
    expect(event.request_id).to.match(/^[0-9a-f-]{36}$/);
    expect(event.details).to.deep.include({ grant_type: 'authorization_code' });
    const login = (await events({ type: 'login.success' })).items[0]!;
    expect(login.user_agent).to.equal('audit-test/1.0');
  });

  it('names the account a failed sign-in was for, when it exists (ASVS 5.0 V16.3.1)', async () => {
    const failure = (await events({ type: 'login.failure' })).items[0]!;
    expect(failure).to.deep.include({ user_id: userId, client_id: app.clientId });
    expect(failure.details).to.deep.include({ reason: 'invalid_credentials' });
  });

  it('never with a token, code or secret in it', async () => {
    const all = JSON.stringify((await events()).items);
    for (const secret of secrets) expect(all).to.not.include(secret);
    const rows = JSON.stringify(await server.core.database.knex('audit_events').select());
    for (const secret of secrets) expect(rows).to.not.include(secret);
  });

  it('filters by type (or prefix), client, user and time', async () => {
    expect((await events({ type: 'grant.revoked' })).items.every((e) => e.type === 'grant.revoked')).to.equal(true);
    const prefixed = (await events({ type: 'client.*' })).items.map((e) => e.type);
    expect(prefixed).to.include.members(['client.created', 'client.updated', 'client.deleted']);
    expect(prefixed.every((t) => t.startsWith('client.'))).to.equal(true);
    expect((await events({ user_id: userId })).items.every((e) => e.user_id === userId)).to.equal(true);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await events({ since: future })).items).to.deep.equal([]);
  });

  it('pages newest first with a keyset cursor that neither repeats nor skips', async () => {
    const all = (await events()).items.map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: EventBody[]; next_cursor: string | null } = await events({ limit: '5', ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).to.deep.equal(all);
    expect(all.map(Number)).to.deep.equal([...all.map(Number)].sort((a, b) => b - a));
    const bad = await adminApi(server, token)('GET', '/audit-events?cursor=nope');
    expect(bad.status).to.equal(400);
    expect((await adminApi(server, token)('GET', '/audit-events?type=%3Cscript%3E')).status).to.equal(400);
  });

  it('needs admin:read', async () => {
    expect((await adminApi(server, undefined)('GET', '/audit-events')).status).to.equal(401);
  });

  // The CLI opens the test's database by URL: a Postgres server's (the in-memory embedded database of
  // this suite is not reachable from another process; the CLI over the embedded socket is tested in
  // embedded-quickstart.test.ts).
  it('gatehouse audit tail shows the latest events, filtered', async function () {
    if (defaultKind() !== 'postgres') this.skip();
    await server.core.audit.flush();
    const env = testEnv({ DATABASE_URL: server.testDatabase.url, GATEHOUSE_DATA_DIR: server.config.dataDir });
    const tail = await cli(['audit', 'tail', '--type', 'token.issued', '--limit', '2', '--json'], env);
    expect(tail.code, tail.stderr).to.equal(0);
    const { events: shown } = JSON.parse(tail.stdout) as { events: EventBody[] };
    expect(shown).to.have.length(2);
    expect(shown.every((e) => e.type === 'token.issued')).to.equal(true);
    expect(Number(shown[0]!.id)).to.be.below(Number(shown[1]!.id));
    const human = await cli(['audit', 'tail', '--client-id', app.clientId], env);
    expect(human.code).to.equal(0);
    expect(human.stdout.trim().split('\n').length).to.be.at.least(3);
    expect(human.stdout).to.include(`client="${app.clientId}"`);
    expect((await cli(['audit', 'tail', '--since', 'yesterday'], env)).code).to.equal(2);
  });

  it('gatehouse audit tail --follow prints new events as they are written, until interrupted', async function () {
    if (defaultKind() !== 'postgres') this.skip();
    const env = testEnv({ DATABASE_URL: server.testDatabase.url, GATEHOUSE_DATA_DIR: server.config.dataDir });
    const child = spawn(BIN, ['audit', 'tail', '--follow', '--type', 'token.issued', '--limit', '1', '--json'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      cwd: ROOT,
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const waitFor = async (predicate: () => boolean) => {
      for (let i = 0; i < 200 && !predicate(); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(predicate(), out).to.equal(true);
    };
    await waitFor(() => out.split('\n').filter(Boolean).length === 1);
    const machine = await createMachineClient(server.core, [API]);
    await postForm(`${server.issuer}/token`, { grant_type: 'client_credentials', scope: 'read' }, { authorization: basicAuth(machine.clientId, machine.clientSecret) });
    await server.core.audit.flush();
    await waitFor(() => out.includes(machine.clientId));
    const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventBody);
    expect(lines.at(-1)).to.deep.include({ type: 'token.issued', client_id: machine.clientId });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).to.equal(0);
  });

  it('keeps every buffered event when the server stops gracefully', async function () {
    if (defaultKind() !== 'postgres') this.skip();
    const testDb = await createTestDatabase();
    const port = await freePort();
    const env = testEnv({
      DATABASE_URL: testDb.url,
      ISSUER: `http://127.0.0.1:${port}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      JANITOR_INTERVAL_SECONDS: '0',
      RATE_LIMIT_TOKEN_PER_IP: '1/1m',
    });
    const child = await startServerProcess(MAIN, env);
    try {
      // 19 of these are refused and audited (each claims another client, so each is the first of its
      // kind in the window); the log buffers events for up to 500 ms, and the server is stopped at
      // once: the last ones are still in the buffer then.
      for (let i = 0; i < 20; i += 1) await fetch(`http://127.0.0.1:${port}/token`, { method: 'POST', headers: { authorization: basicAuth(`nobody-${i}`, 'x') } });
      expect(await child.stop()).to.equal(0);
      const rows = await testDb.database.knex('audit_events').where({ type: 'rate_limited' }).count({ n: '*' });
      expect(Number(rows[0]!.n)).to.equal(19);
    } finally {
      await child.stop();
      await testDb.drop();
    }
  });
});
