// Every administration command of the gatehouse CLI end to end against a real database: clients
// (with --admin and rotate-secret), APIs and their scopes, users, roles and registration tokens,
// with exit codes scripts can trust; then the admin client made by the CLI drives the admin API.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { EXIT, COMMANDS } from '../../src/cli/run.js';
import { createLogger } from '../../src/services/logger.js';
import { startServer } from '../../src/server.js';
import { adminApi, clientCredentialsToken } from '../helpers/admin.js';
import { cli } from '../helpers/cli.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';
import { TEST_SECRETS, testConfig } from '../helpers/test-config.js';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js';

type Json = Record<string, unknown>;
const ORDERS = 'https://orders.example.com';

describe(`gatehouse CLI administration commands (${defaultKind()})`, function () {
  this.timeout(120_000);
  let testDb: TestDatabase | undefined;
  let dataDir: string | undefined;
  let env: NodeJS.ProcessEnv;
  let port: number;
  /** A server on the same storage, as in production: the CLI works beside it (embedded: through its socket). */
  let server: { core: TestServer['core']; stop(): Promise<void> };

  const run = (args: string[], stdin?: string) => cli(args, env, stdin);
  const json = async (args: string[], stdin?: string) => {
    const outcome = await run([...args, '--json'], stdin);
    expect(outcome.code, `${args.join(' ')}: ${outcome.stderr}`).to.equal(EXIT.ok);
    expect(outcome.stdout.trim().split('\n')).to.have.length(1);
    return JSON.parse(outcome.stdout) as Json;
  };
  const fails = async (args: string[], code: number, stdin?: string) => {
    const outcome = await run([...args, '--json'], stdin);
    expect(outcome.code, `${args.join(' ')}: ${outcome.stderr}`).to.equal(code);
    expect(outcome.stdout).to.equal('');
    return JSON.parse(outcome.stderr) as { error: string; fields?: { path: string }[] };
  };

  before(async () => {
    port = await freePort();
    const base = { ...TEST_SECRETS, NODE_ENV: 'test', ISSUER: `http://127.0.0.1:${port}` };
    if (defaultKind() === 'postgres') {
      testDb = await createTestDatabase();
      env = { ...base, DATABASE_URL: testDb.url };
    } else {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-cli-admin-'));
      env = { ...base, GATEHOUSE_DATA_DIR: dataDir };
    }
    server = await startOnSameStorage();
  });

  after(async () => {
    await server?.stop();
    await testDb?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints --help for every command', async () => {
    for (const command of COMMANDS) {
      const outcome = await run([...command.path, '--help']);
      expect(outcome.code, command.path.join(' ')).to.equal(EXIT.ok);
      expect(outcome.stdout).to.include('Usage: gatehouse');
    }
    expect(COMMANDS.map((c) => c.path.join(' '))).to.include.members([
      'clients rotate-secret', 'clients update', 'apis update', 'apis scopes set', 'users set-password', 'users roles', 'users disable',
      'roles create', 'roles delete', 'registration-tokens create', 'registration-tokens revoke',
    ]);
  });

  it('roles: create, list, show, update, delete', async () => {
    expect(await json(['roles', 'create', 'staff', '--description', 'Employees'])).to.include({ name: 'staff', description: 'Employees' });
    await json(['roles', 'create', 'temp']);
    expect((await fails(['roles', 'create', 'staff'], EXIT.conflict)).error).to.include('already exists');
    expect((await fails(['roles', 'create', 'bad name'], EXIT.usage)).fields).to.be.an('array');
    expect(((await json(['roles', 'list'])).roles as Json[]).map((r) => r.name)).to.deep.equal(['staff', 'temp']);
    expect((await json(['roles', 'update', 'staff', '--description', 'All staff'])).description).to.equal('All staff');
    expect((await json(['roles', 'show', 'staff'])).description).to.equal('All staff');
    await fails(['roles', 'update', 'staff'], EXIT.usage);
    expect(await json(['roles', 'delete', 'temp'])).to.include({ deleted: true });
    await fails(['roles', 'show', 'temp'], EXIT.notFound);
    const table = await run(['roles', 'list']);
    expect(table.stdout).to.match(/^NAME\s+DESCRIPTION/);
  });

  it('apis: create with restricted scopes, update, scopes list/set/delete', async () => {
    const api = await json(['apis', 'create', '--identifier', ORDERS, '--scopes', 'orders:read orders:write', '--scope-description', 'orders:read=Read orders', '--scope-roles', 'orders:write=staff', '--roles-claim']);
    expect(api).to.deep.include({ roles_claim: true, allow_dynamic_clients: false, scope_roles: { 'orders:write': ['staff'] } });
    await fails(['apis', 'create', '--identifier', 'https://x.example.com', '--scopes', 'a', '--scope-roles', 'a=ghost'], EXIT.usage);
    await fails(['apis', 'create', '--identifier', 'https://x.example.com', '--scopes', 'a', '--scope-roles', 'b=staff'], EXIT.usage);
    expect(await json(['apis', 'update', ORDERS, '--ttl', '300', '--allow-dynamic-clients', '--no-roles-claim'])).to.include({ access_token_ttl: 300, allow_dynamic_clients: true, roles_claim: false });
    await fails(['apis', 'update', ORDERS], EXIT.usage);
    await fails(['apis', 'update', ORDERS, '--ttl', '1'], EXIT.usage);
    await fails(['apis', 'update', 'https://none.example.com', '--ttl', '300'], EXIT.notFound);
    expect((await json(['apis', 'scopes', 'set', ORDERS, 'orders:refund', '--description', 'Refunds', '--roles', 'staff'])).scope_roles).to.deep.include({ 'orders:refund': ['staff'] });
    const scopes = (await json(['apis', 'scopes', 'list', ORDERS])).scopes as Json[];
    expect(scopes.map((s) => s.name)).to.deep.equal(['orders:read', 'orders:refund', 'orders:write']);
    expect(scopes.find((s) => s.name === 'orders:refund')).to.deep.include({ description: 'Refunds', roles: ['staff'] });
    expect((await fails(['roles', 'delete', 'staff'], EXIT.conflict)).error).to.include('orders:refund');
    expect((await json(['apis', 'scopes', 'delete', ORDERS, 'orders:refund'])).scopes).to.not.include('orders:refund');
    await fails(['apis', 'scopes', 'delete', ORDERS, 'orders:refund'], EXIT.notFound);
    const page = await json(['apis', 'list', '--search', 'orders', '--limit', '1']);
    expect((page.apis as Json[]).map((a) => a.identifier)).to.deep.equal([ORDERS]);
    await fails(['apis', 'list', '--limit', '0'], EXIT.usage);
  });

  it('users: create, list, show, update, roles, set-password, disable, enable, delete', async () => {
    const alice = await json(['users', 'create', '--username', 'alice', '--email', 'alice@example.com', '--role', 'staff', '--password-stdin'], 'a long enough password\n');
    expect(alice).to.include({ username: 'alice', has_password: true });
    expect(alice.roles).to.deep.equal(['staff']);
    const bob = await json(['users', 'create', '--username', 'bob', '--no-password']);
    expect(bob.has_password).to.equal(false);
    await fails(['users', 'create', '--username', 'carol'], EXIT.usage);
    await fails(['users', 'create', '--username', 'carol', '--role', 'ghost', '--no-password'], EXIT.usage);

    expect(((await json(['users', 'list', '--role', 'staff'])).users as Json[]).map((u) => u.username)).to.deep.equal(['alice']);
    const first = await json(['users', 'list', '--limit', '1']);
    expect(first.next_cursor).to.be.a('string');
    const second = await json(['users', 'list', '--limit', '1', '--cursor', String(first.next_cursor)]);
    expect((second.users as Json[])[0]!.username).to.equal('bob');
    await fails(['users', 'list', '--cursor', 'garbage'], EXIT.usage);

    expect((await json(['users', 'show', 'alice'])).id).to.equal(alice.id);
    expect(await json(['users', 'update', 'alice', '--name', 'Alice A.', '--email-verified'])).to.include({ name: 'Alice A.', email_verified: true });
    await fails(['users', 'update', 'alice', '--email', 'not-an-email'], EXIT.usage);
    await fails(['users', 'update', 'nobody', '--name', 'x'], EXIT.notFound);

    expect((await json(['users', 'roles', 'bob', '--add', 'staff'])).roles).to.deep.equal(['staff']);
    expect((await json(['users', 'roles', 'bob', '--remove', 'staff'])).roles).to.deep.equal([]);
    expect((await json(['users', 'roles', 'bob', '--set', 'staff'])).roles).to.deep.equal(['staff']);
    expect((await json(['users', 'roles', 'bob'])).roles).to.deep.equal(['staff']);
    await fails(['users', 'roles', 'bob', '--add', 'ghost'], EXIT.notFound);
    await fails(['users', 'roles', 'bob', '--set', 'staff', '--add', 'staff'], EXIT.usage);

    expect(await json(['users', 'set-password', 'bob', '--password-stdin'], 'bobs new passphrase\n')).to.include({ password_set: true });
    expect((await json(['users', 'show', 'bob'])).has_password).to.equal(true);
    const onCommandLine = await run(['users', 'set-password', 'bob', '--password', 'in-the-open']);
    expect(onCommandLine.code).to.equal(EXIT.usage);
    expect(onCommandLine.stderr).to.include('--password-stdin');
    await fails(['users', 'set-password', 'bob', '--password-stdin'], EXIT.usage, 'short\n');

    expect((await json(['users', 'disable', 'bob'])).disabled).to.equal(true);
    expect(((await json(['users', 'list', '--disabled', 'true'])).users as Json[]).map((u) => u.username)).to.deep.equal(['bob']);
    expect((await json(['users', 'enable', 'bob'])).disabled).to.equal(false);
    expect(await json(['users', 'delete', 'bob'])).to.include({ deleted: true, username: 'bob' });
    await fails(['users', 'show', 'bob'], EXIT.notFound);
  });

  it('clients: create (incl. --admin), list with filters and pages, show, update, rotate-secret, delete', async () => {
    const web = await json(['clients', 'create', '--name', 'Web', '--redirect-uri', 'https://app.example.com/cb', '--api', ORDERS, '--logo-uri', 'https://app.example.com/logo.png']);
    expect(web.client_secret).to.be.a('string');
    const admin = await json(['clients', 'create', '--admin']);
    expect(admin).to.deep.include({ is_admin: true, grant_types: ['client_credentials'], scope: 'admin:read admin:write', apis: [`${env.ISSUER!}/admin`] });
    expect(admin.client_secret).to.be.a('string');
    const human = await run(['clients', 'create', '--admin', '--name', 'Second admin']);
    expect(human.stdout).to.include('shown only once').and.include('grant_type=client_credentials');

    expect(((await json(['clients', 'list', '--admin', 'true'])).clients as Json[]).every((c) => c.is_admin === true)).to.equal(true);
    expect(((await json(['clients', 'list', '--api', ORDERS])).clients as Json[]).map((c) => c.name)).to.deep.equal(['Web']);
    expect(((await json(['clients', 'list', '--limit', '2'])).clients as Json[])).to.have.length(2);
    await fails(['clients', 'list', '--dynamic', 'maybe'], EXIT.usage);

    const webId = String(web.client_id);
    const updated = await json(['clients', 'update', webId, '--name', 'Web 2', '--redirect-uri', 'https://app.example.com/cb2', '--no-logo-uri', '--auth-method', 'client_secret_post']);
    expect(updated).to.deep.include({ name: 'Web 2', redirect_uris: ['https://app.example.com/cb2'], token_endpoint_auth_method: 'client_secret_post' });
    expect(updated).to.not.have.property('logo_uri');
    expect((await fails(['clients', 'update', webId, '--redirect-uri', 'http://evil.example.com/cb'], EXIT.usage)).fields!.map((f) => f.path)).to.include('redirectUris.0');
    await fails(['clients', 'update', webId], EXIT.usage);
    await fails(['clients', 'update', 'noSuchClient', '--name', 'x'], EXIT.notFound);
    expect((await json(['clients', 'show', webId])).name).to.equal('Web 2');

    const rotated = await json(['clients', 'rotate-secret', webId, '--overlap', '600']);
    expect(rotated.client_secret).to.be.a('string').and.not.equal(web.client_secret);
    expect(rotated.secrets as Json[]).to.have.length(2);
    await fails(['clients', 'rotate-secret', webId, '--overlap', 'soon'], EXIT.usage);
    const spa = await json(['clients', 'create', '--name', 'SPA', '--public', '--redirect-uri', 'http://localhost:5173/cb']);
    await fails(['clients', 'rotate-secret', String(spa.client_id)], EXIT.conflict);
    expect(await json(['clients', 'delete', String(spa.client_id)])).to.include({ deleted: true });
    await fails(['clients', 'delete', String(spa.client_id)], EXIT.notFound);
  });

  it('registration-tokens: create, list, revoke', async () => {
    const issued = await json(['registration-tokens', 'create', '--ttl', '3600', '--uses', '3', '--description', 'CI']);
    expect(issued).to.include({ max_uses: 3, uses: 0, active: true, description: 'CI' });
    expect(issued.token).to.match(/^ghiat_/);
    const listed = await json(['registration-tokens', 'list', '--active', 'true']);
    expect(JSON.stringify(listed)).to.not.include(String(issued.token));
    expect((listed.registration_tokens as Json[]).map((t) => t.id)).to.include(issued.id);
    await fails(['registration-tokens', 'create', '--ttl', '5'], EXIT.usage);
    await fails(['registration-tokens', 'create', '--uses', 'many'], EXIT.usage);
    expect(await json(['registration-tokens', 'revoke', String(issued.id)])).to.include({ revoked: true });
    expect(((await json(['registration-tokens', 'list', '--active', 'false'])).registration_tokens as Json[]).map((t) => t.id)).to.include(issued.id);
    await fails(['registration-tokens', 'revoke', '00000000-0000-4000-8000-000000000000'], EXIT.notFound);
  });

  it('records what the CLI changed in the audit log', async () => {
    const outcome = await json(['roles', 'create', 'audited']);
    expect(outcome.name).to.equal('audited');
    // The CLI has exited: its events are stored, not waiting in a buffer.
    const events = await server.core.repositories.audit.query({ type: 'admin.role.created', limit: 10 });
    expect(events.map((e) => (e.details as { role: string }).role)).to.include('audited');
    expect((events[0]!.details as { actor: { via: string } }).actor.via).to.equal('cli');
  });

  it('makes the first admin client, which then drives the admin API of a running server', async () => {
    const admin = await json(['clients', 'create', '--admin', '--name', 'Bootstrap']);
    {
      const token = await clientCredentialsToken(
        { issuer: env.ISSUER! } as TestServer,
        { clientId: String(admin.client_id), clientSecret: String(admin.client_secret) },
        { resource: `${env.ISSUER!}/admin`, scope: 'admin:read admin:write' },
      );
      const api = adminApi({ issuer: env.ISSUER! } as TestServer, token);
      const users = await api<{ items: Json[] }>('GET', '/users');
      expect(users.status).to.equal(200);
      expect(users.body.items.map((u) => u.username)).to.include('alice');
      expect((await api('POST', '/roles', { name: 'from-api' })).status).to.equal(201);
    }
    // Everything the API did, the CLI sees.
    expect((await json(['roles', 'show', 'from-api'])).name).to.equal('from-api');
  });

  /** A server on the storage the CLI used, at the issuer the CLI was told. */
  async function startOnSameStorage(): Promise<{ core: TestServer['core']; stop(): Promise<void> }> {
    if (testDb) {
      const started = await startTestServer({ testDatabase: await createTestDatabaseView(testDb), env: { PORT: String(port), ISSUER: env.ISSUER } });
      return { core: started.core, stop: () => started.stop() };
    }
    const config = testConfig({ GATEHOUSE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: env.ISSUER });
    const running = await startServer({ config, logger: createLogger({ level: 'silent' }) });
    return { core: running.gatehouse.core, stop: () => running.stop(2000) };
  }
});

/** The CLI test's Postgres database, opened again for a server (the test keeps ownership and drops it). */
async function createTestDatabaseView(testDb: TestDatabase): Promise<TestDatabase> {
  const { createKnex } = await import('../../src/db/database.js');
  const knex = createKnex(testDb.url!, { poolMax: 5, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
  return {
    database: { knex, kind: 'postgres', description: 'cli test database', connection: testDb.url!, close: () => knex.destroy() },
    url: testDb.url,
    drop: () => knex.destroy(),
  };
}
