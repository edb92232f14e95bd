// Rotation without downtime, over HTTP with two instances on one database and short lifetimes
// (one instance on the embedded database, which serves a single process):
// the successor is in both instances' JWKS before either signs with it; both switch at its
// activation without a restart and without being told; a token signed before the rotation still
// validates against the JWKS after it; the retired key leaves the JWKS only once every token it
// signed has expired. The JWKS is cacheable (max-age) and revalidates with a strong ETag.
import { expect } from 'chai';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

import { adminApi, adminToken } from '../helpers/admin.js';
import { createApi, createMachineClient, relyingParty } from '../helpers/fixtures.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const API = 'https://orders.example.com';
// The JWKS may be cached 1 s; a successor signs 2 s after it is published; ID tokens and the test
// API's access tokens live 6 s, and so do sign-in sessions (whose ID tokens come back as hints), so a
// retired PS256 key (the test API's algorithm, which nothing else uses) stays 6 + 5 (clock tolerance)
// + 1 (margin) = 12 s; no scheduled rotation.
const ENV = {
  JWKS_MAX_AGE: '1',
  KEY_ACTIVATION_DELAY: '2',
  KEY_RETENTION_MARGIN: '1',
  ACCESS_TOKEN_TTL: '6',
  ID_TOKEN_TTL: '6',
  SESSION_TTL: '6',
  KEY_ROTATION_INTERVAL: '0',
};

interface Issued {
  instance: 'a' | 'b';
  token: string;
  kid: string;
  exp: number;
  requestedAt: number;
  receivedAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function jwks(server: TestServer, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.config.issuer}/jwks`, { headers });
  const body = response.status === 200 ? ((await response.json()) as { keys: { kid: string; key_ops?: string[] }[] }) : undefined;
  return { response, kids: body?.keys.map((k) => k.kid) ?? [], keys: body?.keys ?? [] };
}

describe(`signing key rotation across instances (${defaultKind()})`, function () {
  this.timeout(120_000);
  let testDb: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const workers: Record<'a' | 'b', oidc.Configuration> = {} as never;

  before(async () => {
    testDb = await createTestDatabase();
    a = await startTestServer({ testDatabase: testDb, env: ENV });
    // Embedded: "b" is the same instance, so every check below still runs (against one instance).
    b = defaultKind() === 'postgres' ? await startTestServer({ testDatabase: testDb, env: ENV }) : a;
    await createApi(a.core, API, ['orders:read'], { alg: 'PS256' });
    const machine = await createMachineClient(a.core, [API]);
    workers.a = await relyingParty(a.issuer, machine.clientId, machine.clientSecret);
    workers.b = await relyingParty(b.issuer, machine.clientId, machine.clientSecret);
  });

  after(async () => {
    if (b !== a) await b?.stop();
    await a?.stop();
    await testDb?.drop();
  });

  const issue = async (instance: 'a' | 'b'): Promise<Issued> => {
    const requestedAt = Date.now();
    const { access_token: token } = await oidc.clientCredentialsGrant(workers[instance], { scope: 'orders:read', resource: API });
    return { instance, token, kid: decodeProtectedHeader(token).kid!, exp: decodeJwt(token).exp!, requestedAt, receivedAt: Date.now() };
  };

  it('serves the JWKS with Cache-Control max-age and a strong ETag; If-None-Match gets 304', async () => {
    const first = await jwks(a);
    expect(first.response.headers.get('cache-control')).to.equal('public, max-age=1');
    expect(first.response.headers.get('content-type')).to.match(/^application\/jwk-set\+json/);
    const etag = first.response.headers.get('etag')!;
    expect(etag).to.match(/^"[\w-]{43}"$/);
    const revalidated = await jwks(a, { 'if-none-match': etag });
    expect(revalidated.response.status).to.equal(304);
    expect(await revalidated.response.text()).to.equal('');
    expect(revalidated.response.headers.get('etag')).to.equal(etag);
    expect((await jwks(a, { 'if-none-match': `"not-it", ${etag}` })).response.status).to.equal(304);
    expect((await jwks(a, { 'if-none-match': '"not-it"' })).response.status).to.equal(200);
    // Every instance publishes the same bytes, so a cache in front of several stays valid.
    expect((await jwks(b)).response.headers.get('etag')).to.equal(etag);
  });

  it('publishes the successor before it signs, switches both instances at its activation, and removes the old key only after its tokens expired', async () => {
    const before = await issue('a');
    const oldKid = before.kid;
    const etagBefore = (await jwks(b)).response.headers.get('etag')!;
    const eventsOnB: number[] = [];
    b.core.feed.on('signing-key', () => eventsOnB.push(Date.now()));

    expect(decodeProtectedHeader(before.token).alg).to.equal('PS256');
    const [successor] = await a.core.keyRotation.rotate({ algs: ['PS256'] });
    const newKid = successor!.kid;
    const activatesAt = successor!.activatesAt.getTime();

    // Published on both instances (b learns it from the change feed), while the old key still signs.
    const publishedAt: Record<string, number> = {};
    for (const [name, server] of [['a', a], ['b', b]] as const) {
      while (!(await jwks(server)).kids.includes(newKid)) await sleep(50);
      publishedAt[name] = Date.now();
    }
    expect(Math.max(publishedAt.a!, publishedAt.b!)).to.be.below(activatesAt);
    const published = (await jwks(b)).keys.find((k) => k.kid === newKid)!;
    expect(published.key_ops).to.deep.equal(['verify']);
    const eventsBeforeSwitch = eventsOnB.length;
    expect(eventsBeforeSwitch).to.be.at.least(1);
    expect((await jwks(b, { 'if-none-match': etagBefore })).response.status).to.equal(200);

    // Keep issuing on both until both sign with the successor.
    const issued: Issued[] = [before];
    while (!(['a', 'b'] as const).every((i) => issued.some((t) => t.instance === i && t.kid === newKid))) {
      issued.push(await issue('a'), await issue('b'));
      expect(Date.now() - activatesAt, 'both instances switched').to.be.below(20_000);
      await sleep(100);
    }
    for (const token of issued) {
      expect([oldKid, newKid]).to.include(token.kid);
      // Entirely before the activation: the old key; entirely after it: the successor.
      if (token.receivedAt < activatesAt) expect(token.kid, 'before activation').to.equal(oldKid);
      if (token.requestedAt > activatesAt + 50) expect(token.kid, 'after activation').to.equal(newKid);
      // Never a token from a key that instance had not published yet.
      if (token.kid === newKid) expect(token.requestedAt).to.be.above(publishedAt[token.instance]!);
    }
    // b switched on its own clock: no change event reached it between the rotation's and the switch.
    const firstNewOnB = issued.find((t) => t.instance === 'b' && t.kid === newKid)!;
    expect(eventsOnB.filter((at) => at <= firstNewOnB.receivedAt)).to.have.length(eventsBeforeSwitch);

    // A token signed by the old key before the switch still validates against the JWKS after it,
    // fetched fresh from either instance, and introspects as active.
    // (In a test the two instances have different ports and so different issuers; in production they share one.)
    const lastOld = issued.filter((t) => t.kid === oldKid).at(-1)!;
    const issuer = (lastOld.instance === 'a' ? a : b).config.issuer;
    for (const server of [a, b]) {
      const verified = await jwtVerify(lastOld.token, createRemoteJWKSet(new URL(`${server.config.issuer}/jwks`)), { issuer, audience: API });
      expect(verified.protectedHeader.kid).to.equal(oldKid);
    }
    const retiredInJwks = (await jwks(a)).keys.find((k) => k.kid === oldKid)!;
    expect(retiredInJwks.key_ops).to.deep.equal(['verify']);
    // The admin API shows each key's state now, whether or not maintenance has recorded it yet.
    const listed = await adminApi(b, await adminToken(b, 'admin:read'))<{ items: { kid: string; state: string }[] }>('GET', '/signing-keys');
    expect(listed.status).to.equal(200);
    expect(listed.body.items.find((k) => k.kid === newKid)?.state).to.equal('current');
    expect(listed.body.items.find((k) => k.kid === oldKid)?.state).to.equal('retired');

    // The retired key leaves each JWKS, and only after the last token it signed has expired.
    const lastExpiryMs = Math.max(...issued.filter((t) => t.kid === oldKid).map((t) => t.exp)) * 1000;
    const goneAt: number[] = [];
    for (const server of [a, b]) {
      for (;;) {
        const { kids } = await jwks(server);
        const now = Date.now();
        if (!kids.includes(oldKid)) {
          goneAt.push(now);
          break;
        }
        expect(now - lastExpiryMs, 'retired key removed').to.be.below(30_000);
        await sleep(200);
      }
      expect((await jwks(server)).kids).to.include(newKid);
    }
    for (const at of goneAt) expect(at).to.be.at.least(lastExpiryMs);
    const stored = await a.core.signingKeys.list();
    expect(stored.find((k) => k.kid === oldKid)?.state ?? 'removed').to.equal('removed');
  });
});
