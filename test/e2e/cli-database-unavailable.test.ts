// The CLI when it cannot get a database connection: exit code 69 ("database unavailable", README),
// whatever the reason — refused, no such database, no such role, not accepting connections — and with
// --json nothing but the result on stdout (here: nothing), the error as JSON on stderr.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';

import { spawnCli, type CliOutcome } from '../helpers/cli.js';
import { testEnv } from '../helpers/test-config.js';
import { serverUrl } from '../helpers/test-database.js';
import { freePort } from '../helpers/test-server.js';

function withDatabase(base: string, name: string, user?: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  if (user) url.username = user;
  return url.toString();
}

function expectUnavailable(outcome: CliOutcome): void {
  expect(outcome.code, `stdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`).to.equal(69);
  expect(outcome.stdout).to.equal('');
  const lines = outcome.stderr.trim().split('\n');
  // Every line is JSON (the error, and at most a log line or two), the last one the error.
  const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(entries.at(-1)).to.have.property('error').that.is.a('string');
  expect(outcome.stderr).to.not.match(/\n\s+at /);
}

(serverUrl() ? describe : describe.skip)('CLI without a database connection', function () {
  this.timeout(120_000);
  let admin: Knex;
  const closedDb = `gh_test_${randomBytes(6).toString('hex')}`;
  const run = (databaseUrl: string) =>
    spawnCli(['clients', 'list', '--json'], testEnv({ DATABASE_URL: databaseUrl, DB_CONNECT_TIMEOUT_MS: '2000', LOG_LEVEL: 'info' }));

  before(async () => {
    admin = knexFactory({ client: 'pg', connection: serverUrl()!, pool: { min: 0, max: 1 } });
    await admin.raw(`CREATE DATABASE ${closedDb}`);
    await admin.raw(`ALTER DATABASE ${closedDb} WITH ALLOW_CONNECTIONS false`);
  });

  after(async () => {
    await admin?.raw(`DROP DATABASE IF EXISTS ${closedDb} WITH (FORCE)`);
    await admin?.destroy();
  });

  it('exits 69 with JSON on stderr only when the server refuses the connection', async () => {
    const port = await freePort();
    expectUnavailable(await run(`postgres://postgres@127.0.0.1:${port}/postgres`));
  });

  it('exits 69 when the database does not exist (3D000)', async () => {
    expectUnavailable(await run(withDatabase(serverUrl()!, `gh_missing_${randomBytes(4).toString('hex')}`)));
  });

  it('exits 69 when the role does not exist', async () => {
    expectUnavailable(await run(withDatabase(serverUrl()!, 'postgres', `gh_nobody_${randomBytes(4).toString('hex')}`)));
  });

  it('exits 69 when the database is not accepting connections (55000)', async () => {
    expectUnavailable(await run(withDatabase(serverUrl()!, closedDb)));
  });
});
