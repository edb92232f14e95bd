// Attacks on the login form: enumeration (same answer for unknown users), brute force (counters per
// account, per address and per account+address, 429 with Retry-After), and the password rules
// (length, common passwords, rehash on login), with every attempt in the audit log.
import { expect } from 'chai';

import { PasswordHasher } from '../../src/services/passwords.js';
import { passwordProblem } from '../../src/services/password-policy.js';
import { FormBrowser, formAction, hiddenField, type Page } from '../helpers/browser.js';
import { PASSWORD, createUser, createWebClient, relyingParty, startAuthorization } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const REDIRECT = 'http://127.0.0.1:8080/callback';

describe('login protection: enumeration, brute force, password rules', function () {
  this.timeout(120_000);
  let server: TestServer;
  let clientId: string;
  let clientSecret: string;

  before(async () => {
    server = await startTestServer({
      env: {
        TRUST_PROXY: 'true',
        LOGIN_FAILURES_PER_ACCOUNT_AND_IP: '3',
        LOGIN_FAILURES_PER_ACCOUNT: '6',
        LOGIN_FAILURES_PER_IP: '10',
        // No slowing down here: the tests count answers, not time.
        LOGIN_DELAY_AFTER: '1000',
        ARGON2_ITERATIONS: '3',
      },
    });
    for (const name of ['alice', 'bob', 'carol', 'dave']) await createUser(server.core, name);
    ({ clientId, clientSecret } = (await createWebClient(server.core, { redirectUri: REDIRECT })) as { clientId: string; clientSecret: string });
  });

  after(async () => server?.stop());

  /** One login attempt from a fresh browser at `ip`. */
  const attempt = async (login: string, password: string, ip: string): Promise<Page> => {
    const browser = new FormBrowser({ 'x-forwarded-for': ip });
    const app = await relyingParty(server.issuer, clientId, clientSecret);
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid' });
    const page = await browser.follow(await browser.get(start.url.toString()), REDIRECT);
    return browser.post(new URL(formAction(page.body, '/login'), page.url).toString(), { csrf: hiddenField(page.body, 'csrf'), login, password });
  };
  const comparable = (page: Page) => page.body.replace(/(value|action|nonce)="[^"]*"/g, '');

  it('answers an unknown user exactly as a wrong password, and throttles both alike', async () => {
    const known = await attempt('alice', 'not the password', '203.0.113.1');
    const unknown = await attempt('no-such-user', 'not the password', '203.0.113.2');
    expect(known.status).to.equal(200);
    expect(unknown.status).to.equal(200);
    expect(comparable(known)).to.equal(comparable(unknown));
    expect(known.body).to.include('Invalid username or password');
    // Both count: the third failure for each pair is the last one answered normally.
    for (const [login, ip] of [['alice', '203.0.113.1'], ['no-such-user', '203.0.113.2']] as const) {
      await attempt(login, 'nope nope', ip);
      await attempt(login, 'nope nope', ip);
      const blocked = await attempt(login, 'nope nope', ip);
      expect(blocked.status, login).to.equal(429);
      expect(Number(blocked.headers.get('retry-after')), login).to.be.within(1, 900);
      expect(blocked.body).to.include('Too many attempts');
    }
  });

  it('blocks the account+address pair first: the real user elsewhere still signs in', async () => {
    for (let i = 0; i < 3; i += 1) expect((await attempt('bob', 'guessing', '198.51.100.7')).status).to.equal(200);
    // Even the right password is refused from the attacker's address now.
    expect((await attempt('bob', PASSWORD, '198.51.100.7')).status).to.equal(429);
    const real = await attempt('bob', PASSWORD, '192.0.2.50');
    expect(real.status).to.equal(303);
  });

  it('blocks an account attacked from many addresses, with a higher limit than the pair', async () => {
    for (let i = 0; i < 6; i += 1) expect((await attempt('carol', 'guessing', `198.51.100.${20 + i}`)).status).to.equal(200);
    const next = await attempt('carol', PASSWORD, '192.0.2.60');
    expect(next.status).to.equal(429);
    expect(next.headers.get('retry-after')).to.match(/^\d+$/);
  });

  it('counts failures against the account whichever way it is named: username, email, any case', async () => {
    await createUser(server.core, 'erin');
    const ip = '198.51.100.70';
    expect((await attempt('erin', 'guessing', ip)).status).to.equal(200);
    expect((await attempt('erin@example.com', 'guessing', ip)).status).to.equal(200);
    expect((await attempt('ERIN@example.com', 'guessing', ip)).status).to.equal(200);
    // Three for this account from this address, however they were typed: the pair is blocked.
    expect((await attempt('erin', PASSWORD, ip)).status).to.equal(429);
    expect((await attempt('erin@example.com', PASSWORD, ip)).status).to.equal(429);
    expect((await attempt('erin@example.com', PASSWORD, '192.0.2.70')).status).to.equal(303);
  });

  it('blocks an address that tries many accounts', async () => {
    const ip = '198.51.100.99';
    const answers: number[] = [];
    for (let i = 0; i < 11; i += 1) answers.push((await attempt(`user-${i}`, 'guessing', ip)).status);
    expect(answers.slice(0, 10).every((s) => s === 200)).to.equal(true);
    expect(answers[10]).to.equal(429);
    expect((await attempt('dave', PASSWORD, ip)).status).to.equal(429);
  });

  it('records every success, failure and throttled attempt for the audit log', async () => {
    await server.core.audit.flush();
    const types = new Set((await server.core.repositories.audit.query({ limit: 1000 })).map((e) => e.type));
    expect(types).to.include('login.failure');
    expect(types).to.include('login.success');
    expect(types).to.include('login.throttled');
  });

  it('upgrades a password hash made with older argon2id parameters when the user signs in', async () => {
    const user = (await server.core.users.show('dave'))!;
    const older = new PasswordHasher({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    await server.core.repositories.users.updatePasswordHash(user.id, await older.hash(PASSWORD));
    expect((await server.core.users.findById(user.id))!.passwordHash).to.include('t=2');
    expect((await attempt('dave', PASSWORD, '192.0.2.70')).status).to.equal(303);
    const upgraded = (await server.core.users.findById(user.id))!.passwordHash!;
    expect(upgraded).to.match(/^\$argon2id\$/).and.include('t=3');
  });

  it('refuses short, over-long and common passwords, counting characters not bytes and never truncating', async () => {
    expect(passwordProblem('short')).to.equal('too_short');
    expect(passwordProblem('x'.repeat(129))).to.equal('too_long');
    expect(passwordProblem('Password123')).to.equal('common');
    expect(passwordProblem('qwertyuiop')).to.equal('common');
    expect(passwordProblem('ünïcödé')).to.equal('too_short');
    expect(passwordProblem('🔑'.repeat(8))).to.equal(undefined);
    expect(passwordProblem('x'.repeat(128))).to.equal(undefined);
    // No composition rules: a long lowercase passphrase is fine.
    expect(passwordProblem('purple monkey dishwasher')).to.equal(undefined);
    let refused: unknown;
    await server.core.users.setPassword('alice', 'password1234').catch((error: unknown) => (refused = error));
    expect(String((refused as Error)?.message ?? '') + JSON.stringify((refused as { details?: unknown })?.details ?? '')).to.match(/common/);
    // A 128-character password is stored whole: its 127-character prefix does not sign in.
    const long = 'a-long-passphrase-'.repeat(8).slice(0, 128);
    await server.core.users.setPassword('dave', long);
    expect(await server.core.users.authenticate('dave', long.slice(0, 127))).to.equal(undefined);
    expect((await server.core.users.authenticate('dave', long))?.username).to.equal('dave');
  });
});
