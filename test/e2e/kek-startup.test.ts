// The key-encryption key at start-up and through a rotation: a wrong KEK stops the server with an
// error naming the key and never creates a key; production refuses to start without a KEK; a
// signed-in user stays signed in while the KEK is rotated and everything is re-encrypted.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';
import * as oidc from 'openid-client';

import { KeyDecryptionError } from '../../src/services/key-encryption.js';
import { FormBrowser } from '../helpers/browser.js';
import { cli } from '../helpers/cli.js';
import { createApi, createUser, createWebClient, relyingParty, signIn, startAuthorization } from '../helpers/fixtures.js';
import { runServerUntilExit } from '../helpers/server-exit.js';
import { TEST_SECRETS } from '../helpers/test-config.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';
const newKek = () => randomBytes(32).toString('base64');

describe(`the key-encryption key at start-up (${defaultKind()})`, function () {
  this.timeout(120_000);
  let testDb: TestDatabase;
  let port: number;
  const kekA = TEST_SECRETS.GATEHOUSE_KEK;
  const kekB = newKek();
  const start = (env: Record<string, string>): Promise<TestServer> =>
    startTestServer({ testDatabase: testDb, env: { PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, ...env } });
  const kids = async () => ((await testDb.database.knex('signing_keys').orderBy('kid').pluck('kid')) as string[]).join(',');

  before(async () => {
    testDb = await createTestDatabase();
    port = await freePort();
  });
  after(async () => testDb?.drop());

  it('refuses to start with a wrong KEK, with an error naming the key and the KEK it needs, and creates no key', async () => {
    await (await start({ GATEHOUSE_KEK: kekA })).stop();
    const before = await kids();
    expect(before.split(',')).to.have.length(2);
    for (const env of [{ GATEHOUSE_KEK: kekB }, { GATEHOUSE_KEK: kekB, ACCESS_TOKEN_ALG: 'PS256' }] as Record<string, string>[]) {
      const error = await start(env).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(KeyDecryptionError);
      expect((error as Error).message).to.include('cannot be decrypted').and.include('GATEHOUSE_KEK').and.include('does not replace');
    }
    expect(await kids()).to.equal(before);
  });

  it('keeps a signed-in user signed in through a KEK rotation and `keys rekey`; then the old KEK alone is refused', async () => {
    let server = await start({ GATEHOUSE_KEK: kekA });
    await createApi(server.core, API, ['orders:read']);
    await createUser(server.core, 'alice');
    const web = await createWebClient(server.core, { redirectUri: REDIRECT, apis: [API] });
    const browser = new FormBrowser();
    const app = await relyingParty(server.config.issuer, web.clientId, web.clientSecret);
    await signIn(browser, (await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' })).url, REDIRECT);
    await server.stop();

    // Rotation: the new KEK first, the old one after it; then everything is re-encrypted.
    server = await start({ GATEHOUSE_KEK: `${kekB},${kekA}` });
    const result = await server.core.rekeying.rekey();
    expect(result.rewritten.signing_keys).to.equal(2);
    expect(result.rewritten.token_ids).to.be.at.least(1);
    expect(result.kekIdsInUse).to.deep.equal([result.kekId]);
    await server.stop();

    // The new KEK alone: the consent step finds the session by its uid (a sealed id) — no login page.
    server = await start({ GATEHOUSE_KEK: kekB });
    try {
      const consent = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid orders:read', resource: API, prompt: 'consent' });
      const { callback, pages } = await signIn(browser, consent.url, REDIRECT);
      expect(pages.some((p) => p.body.includes('name="password"'))).to.equal(false);
      expect(pages.some((p) => p.body.includes('/confirm'))).to.equal(true);
      const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: consent.verifier, expectedState: consent.state, expectedNonce: consent.nonce });
      expect(tokens.claims()!.sub).to.be.a('string');
    } finally {
      await server.stop();
    }
    expect(await start({ GATEHOUSE_KEK: kekA }).catch((e: unknown) => e)).to.be.instanceOf(KeyDecryptionError);
  });
});

describe('the server process refuses to start (exit code 78, a clear message)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let base: NodeJS.ProcessEnv;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-kek-'));
    base = { NODE_ENV: 'test', GATEHOUSE_DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...TEST_SECRETS };
    // Keys exist, encrypted under the test KEK.
    expect((await cli(['migrate'], base)).code).to.equal(0);
    expect((await cli(['apis', 'create', '--identifier', API, '--scopes', 'x', '--alg', 'ES256'], base)).code).to.equal(0);
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('with a wrong KEK', async () => {
    const { code, output } = await runServerUntilExit({ ...base, GATEHOUSE_KEK: newKek() });
    expect(code, output).to.equal(78);
    expect(output).to.include('cannot be decrypted').and.include('GATEHOUSE_KEK');
  });

  it('without a KEK in production, and without generating one', async () => {
    const production = { ...base, NODE_ENV: 'production', ISSUER: 'https://id.example.com', GATEHOUSE_KEK: undefined, GATEHOUSE_DATA_DIR: path.join(dataDir, 'prod') };
    const { code, output } = await runServerUntilExit(production);
    expect(code, output).to.equal(78);
    expect(output).to.include('production mode requires GATEHOUSE_KEK');
    expect(existsSync(path.join(dataDir, 'prod', 'dev-secrets.json'))).to.equal(false);
  });
});
