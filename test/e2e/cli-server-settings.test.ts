// The CLI beside a running server: without ISSUER (or the API defaults) in its own environment, it
// adopts what the server recorded in the database, so the admin API it ties clients to is the
// server's and new APIs get the server's default token lifetime; a different value it was given
// explicitly is kept, with a warning.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';

import { cli } from '../helpers/cli.js';
import { TEST_SECRETS } from '../helpers/test-config.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type Json = Record<string, unknown>;

describe('CLI: the server\'s issuer and API defaults', () => {
  let server: TestServer;
  const env = (extra: Record<string, string> = {}) => ({ ...TEST_SECRETS, NODE_ENV: 'test', DATABASE_URL: server.testDatabase.url, ...extra });

  before(async function () {
    server = await startTestServer({ env: { ACCESS_TOKEN_TTL: '120', DYNAMIC_REGISTRATION: 'token' } });
    if (!server.testDatabase.url) this.skip(); // the CLI reaches a Postgres server's database; an in-memory one is this process's alone
  });
  after(async () => server?.stop());

  it('ties an admin client to the running server\'s admin API, whatever port it listens on', async () => {
    const created = await cli(['clients', 'create', '--admin', '--name', 'CI pipeline', '--json'], env());
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stderr).to.equal('');
    const client = JSON.parse(created.stdout) as Json;
    expect(client.apis).to.deep.equal([`${server.issuer}/admin`]);
    const listed = await cli(['apis', 'list', '--json'], env());
    const identifiers = (JSON.parse(listed.stdout) as { apis: Json[] }).apis.map((api) => api.identifier);
    expect(identifiers.filter((id) => String(id).endsWith('/admin'))).to.deep.equal([`${server.issuer}/admin`]);
  });

  it('gives a new API the server\'s default access-token lifetime', async () => {
    const created = await cli(['apis', 'create', '--identifier', 'https://ttl.example.com', '--scopes', 'read', '--json'], env());
    expect(created.code, created.stderr).to.equal(0);
    expect(JSON.parse(created.stdout)).to.include({ access_token_ttl: 120 });
  });

  it('knows the server\'s DYNAMIC_REGISTRATION: a registration token is made without a note that it would not be checked', async () => {
    const created = await cli(['registration-tokens', 'create', '--uses', '1'], env());
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.not.include('DYNAMIC_REGISTRATION');
  });

  it('refuses to re-encrypt under a KEK other than the server\'s (exit 78), and rewrites nothing', async () => {
    const otherKek = randomBytes(32).toString('base64');
    const before = await server.testDatabase.database.knex('signing_keys').select('kek_id');
    const refused = await cli(['keys', 'rekey'], env({ GATEHOUSE_KEK: `${otherKek},${TEST_SECRETS.GATEHOUSE_KEK}` }));
    expect(refused.code).to.equal(78);
    expect(refused.stderr).to.include('the server encrypts under KEK');
    expect(await server.testDatabase.database.knex('signing_keys').select('kek_id')).to.deep.equal(before);
    // With the server's own KEK it runs.
    expect((await cli(['keys', 'rekey', '--json'], env())).code).to.equal(0);
  });

  it('keeps an ISSUER it was given that differs from the server\'s, and says so', async () => {
    const outcome = await cli(['apis', 'list', '--json'], env({ ISSUER: 'http://localhost:3999' }));
    expect(outcome.code).to.equal(0);
    expect(outcome.stderr).to.include(`warning: ISSUER is http://localhost:3999 here but ${server.issuer} on the server`);
  });
});
