// The gatehouse CLI contract: each command against a real database, one JSON object per --json
// run, errors on stderr with exit codes scripts can trust, passwords only on stdin.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { EXIT } from '../../src/cli/run.js';
import { cli, spawnCli } from '../helpers/cli.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';
import { TEST_SECRETS } from '../helpers/test-config.js';

describe(`gatehouse CLI (${defaultKind()})`, function () {
  this.timeout(60_000);
  let testDb: TestDatabase | undefined;
  let dataDir: string | undefined;
  let env: NodeJS.ProcessEnv;
  const json = async (args: string[], stdin?: string) => {
    const outcome = await cli([...args, '--json'], env, stdin);
    expect(outcome.code, outcome.stderr).to.equal(0);
    expect(outcome.stdout.trim().split('\n')).to.have.length(1);
    return JSON.parse(outcome.stdout) as Record<string, unknown>;
  };

  before(async () => {
    if (defaultKind() === 'postgres') {
      testDb = await createTestDatabase({ migrate: false });
      env = { ...TEST_SECRETS, DATABASE_URL: testDb.url, NODE_ENV: 'test' };
    } else {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-cli-'));
      env = { ...TEST_SECRETS, GATEHOUSE_DATA_DIR: dataDir, NODE_ENV: 'test' };
    }
  });

  after(async () => {
    await testDb?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to work on an unmigrated database, then migrates', async () => {
    const before = await cli(['apis', 'list', '--json'], env);
    expect(before.code).to.equal(EXIT.unavailable);
    expect(before.stderr).to.include('gatehouse migrate');
    const migrated = await json(['migrate']);
    expect(migrated.applied).to.be.an('array').that.is.not.empty;
    expect((await json(['migrate'])).applied).to.deep.equal([]);
  });

  it('creates, lists, shows and deletes APIs', async () => {
    const api = await json(['apis', 'create', '--identifier', 'https://cli.example.com', '--scopes', 'a:read a:write', '--name', 'CLI API', '--ttl', '300', '--alg', 'RS256', '--scope-description', 'a:read=Read things']);
    expect(api).to.deep.include({ identifier: 'https://cli.example.com', name: 'CLI API', access_token_ttl: 300, signing_alg: 'RS256' });
    expect(api.scopes).to.deep.equal(['a:read', 'a:write']);
    expect((api.scope_descriptions as Record<string, string>)['a:read']).to.equal('Read things');
    expect(((await json(['apis', 'list'])).apis as unknown[]).length).to.equal(1);
    expect((await json(['apis', 'show', 'https://cli.example.com'])).identifier).to.equal('https://cli.example.com');
    const duplicate = await cli(['apis', 'create', '--identifier', 'https://cli.example.com', '--scopes', 'x', '--json'], env);
    expect(duplicate.code).to.equal(EXIT.conflict);
    expect(JSON.parse(duplicate.stderr).error).to.include('already exists');
    await json(['apis', 'create', '--identifier', 'https://doomed.example.com', '--scopes', 'd']);
    expect(await json(['apis', 'delete', 'https://doomed.example.com'])).to.deep.include({ deleted: true });
    expect((await cli(['apis', 'show', 'https://doomed.example.com'], env)).code).to.equal(EXIT.notFound);
  });

  it('creates confidential, public and resource-server clients; the secret is shown once', async () => {
    const web = await json(['clients', 'create', '--name', 'Web', '--redirect-uri', 'https://app.example.com/cb', '--post-logout-redirect-uri', 'https://app.example.com/', '--api', 'https://cli.example.com']);
    expect(web.client_secret).to.be.a('string').with.length.greaterThan(40);
    expect(web).to.deep.include({ name: 'Web', default_api: 'https://cli.example.com', token_endpoint_auth_method: 'client_secret_basic' });
    expect(web.grant_types).to.deep.equal(['authorization_code', 'refresh_token']);
    const shown = await json(['clients', 'show', String(web.client_id)]);
    expect(shown).to.not.have.property('client_secret');

    const spa = await json(['clients', 'create', '--name', 'SPA', '--public', '--redirect-uri', 'http://localhost:5173/cb']);
    expect(spa).to.not.have.property('client_secret');
    expect(spa.token_endpoint_auth_method).to.equal('none');

    const worker = await json(['clients', 'create', '--name', 'Worker', '--grant-types', 'client_credentials', '--api', 'https://cli.example.com', '--scope', 'a:read']);
    expect(worker.grant_types).to.deep.equal(['client_credentials']);
    expect(worker.scope).to.equal('a:read');

    const rs = await json(['clients', 'create', '--name', 'RS', '--introspect-for', 'https://cli.example.com']);
    expect(rs).to.deep.include({ introspect_for: 'https://cli.example.com', grant_types: [] });

    const listed = (await json(['clients', 'list'])).clients as Record<string, unknown>[];
    expect(listed.map((c) => c.name)).to.have.members(['Web', 'SPA', 'Worker', 'RS']);
    expect(listed.every((c) => !('client_secret' in c))).to.equal(true);

    expect(await json(['clients', 'delete', String(spa.client_id)])).to.deep.include({ deleted: true });
    expect((await cli(['clients', 'show', String(spa.client_id)], env)).code).to.equal(EXIT.notFound);
  });

  it('rejects bad client metadata with field errors and writes nothing', async () => {
    for (const args of [
      ['--redirect-uri', 'http://app.example.com/cb'],
      ['--redirect-uri', 'https://app.example.com/cb#frag'],
      ['--redirect-uri', 'https://*.example.com/cb'],
      ['--redirect-uri', 'javascript:alert(1)'],
      ['--api', 'https://unknown.example.com', '--grant-types', 'client_credentials'],
    ]) {
      const outcome = await cli(['clients', 'create', '--name', 'Bad', ...args, '--json'], env);
      expect(outcome.code, args.join(' ')).to.equal(EXIT.usage);
      expect(JSON.parse(outcome.stderr).fields).to.be.an('array').that.is.not.empty;
    }
    const unknownGrant = await cli(['clients', 'create', '--name', 'Bad', '--grant-types', 'password'], env);
    expect(unknownGrant.code).to.equal(EXIT.usage);
    const listed = (await json(['clients', 'list'])).clients as Record<string, unknown>[];
    expect(listed.map((c) => c.name)).to.not.include('Bad');
  });

  it('creates users with the password from stdin only', async () => {
    const user = await json(['users', 'create', '--username', 'carol', '--email', 'carol@example.com', '--name', 'Carol', '--password-stdin'], 'a long enough password\n');
    expect(user).to.deep.include({ username: 'carol', email: 'carol@example.com', name: 'Carol' });
    expect(user).to.not.have.property('password_hash');
    const onCommandLine = await cli(['users', 'create', '--username', 'dave', '--password', 'secret123'], env);
    expect(onCommandLine.code).to.equal(EXIT.usage);
    expect(onCommandLine.stderr).to.include('--password-stdin');
    const short = await cli(['users', 'create', '--username', 'erin', '--password-stdin', '--json'], env, 'short\n');
    expect(short.code).to.equal(EXIT.usage);
    const taken = await cli(['users', 'create', '--username', 'CAROL', '--password-stdin'], env, 'another long password\n');
    expect(taken.code).to.equal(EXIT.conflict);
    expect(((await json(['users', 'list'])).users as unknown[]).length).to.equal(1);
  });

  it('prints help for every command and fails unknown ones with a usage error', async () => {
    for (const args of [['--help'], ['clients', 'create', '--help'], ['apis', 'list', '--help'], ['users', 'create', '--help'], ['migrate', '--help']]) {
      const outcome = await cli(args, env);
      expect(outcome.code, args.join(' ')).to.equal(0);
      expect(outcome.stdout).to.include('Usage');
    }
    expect((await cli(['frobnicate'], env)).code).to.equal(EXIT.usage);
    expect((await cli(['clients', 'create', '--bogus'], env)).code).to.equal(EXIT.usage);
  });

  it('runs as the real ./bin/gatehouse executable', async () => {
    const outcome = await spawnCli(['apis', 'list', '--json'], env);
    expect(outcome.code, outcome.stderr).to.equal(0);
    expect(JSON.parse(outcome.stdout).apis).to.be.an('array');
  });
});
