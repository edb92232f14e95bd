// The storage contract every database behind Gatehouse must meet, run against a Postgres server
// and against the embedded database: what oidc-provider stores comes back, expired rows never do,
// consumption is atomic, and a grant's artefacts go together.
import { expect } from 'chai';
import { errors, type Adapter } from 'oidc-provider';

import { createHash } from 'node:crypto';

import { createCore, type Core } from '../../src/core.js';
import { countStatements } from '../../src/db/instrumentation.js';
import { createAdapterClass } from '../../src/oidc/adapter.js';
import { AccessTokenVerifier } from '../../src/oidc/access-token-verifier.js';
import { ClientMetadataMapper } from '../../src/oidc/client-metadata.js';
import { LoadedSessions } from '../../src/oidc/loaded-sessions.js';
import { RequestPrefetch } from '../../src/oidc/request-prefetch.js';
import { userFromJson } from '../../src/repositories/users.js';
import { createLogger } from '../../src/services/logger.js';
import { availableKinds, createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { testConfig } from '../helpers/test-config.js';

const MODELS = [
  'Session', 'Interaction', 'Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials',
  'DeviceCode', 'PushedAuthorizationRequest', 'BackchannelAuthenticationRequest', 'ReplayDetection',
  'RegistrationAccessToken', 'InitialAccessToken', 'PreAuthorizedCode',
];

for (const kind of availableKinds()) {
  describe(`adapter contract (${kind})`, function () {
    this.timeout(60_000);
    let testDb: TestDatabase;
    let core: Core;
    let AdapterClass: new (name: string) => Adapter;
    const adapter = (name: string) => new AdapterClass(name);
    // The same adapter reading ahead within "the current request", which the tests set.
    let currentRequest: object | undefined;
    let ReadingAhead: new (name: string) => Adapter;
    let prefetch: RequestPrefetch;
    const readingAhead = (name: string) => new ReadingAhead(name);
    let TrackingSessions: new (name: string) => Adapter;

    before(async () => {
      testDb = await createTestDatabase({ kind });
      core = createCore({ config: testConfig({ REFRESH_TOKEN_REUSE_GRACE: '0' }), database: testDb.database, logger: createLogger({ level: 'silent' }) });
      const deps = {
        models: core.repositories.models,
        catalog: core.catalog,
        clientMetadata: new ClientMetadataMapper(),
        accessTokens: new AccessTokenVerifier({ issuer: 'http://issuer.test', keys: core.keyRing, revocations: core.revocations, clockToleranceSeconds: 5 }),
        revocations: core.revocations,
        grants: core.grants,
        refreshTokenReuseGraceSeconds: 0,
        tokenIds: core.tokenIds,
      };
      AdapterClass = createAdapterClass(deps);
      prefetch = new RequestPrefetch(() => currentRequest);
      ReadingAhead = createAdapterClass({ ...deps, prefetch });
      TrackingSessions = createAdapterClass({ ...deps, loadedSessions: new LoadedSessions(() => currentRequest) });
    });

    after(async () => testDb?.drop());

    for (const model of MODELS) {
      it(`stores and finds a ${model}`, async () => {
        const payload = { jti: `${model}-1`, kind: model, iat: 1, exp: 2_000_000_000, clientId: 'c1', accountId: 'a1', grantId: 'g1' };
        await adapter(model).upsert(`${model}-1`, payload, 60);
        expect(await adapter(model).find(`${model}-1`)).to.deep.include(payload);
        expect(await adapter(model).find(`${model}-missing`)).to.equal(undefined);
      });
    }

    it('does not bring back a session ended while a request that read it was in flight; a new one is stored', async () => {
      const sessions = new TrackingSessions('Session');
      await sessions.upsert('live-session', { jti: 'live-session', uid: 'uid-live', accountId: 'a1', loginTs: Math.floor(Date.now() / 1000) }, 600);
      currentRequest = {};
      try {
        // The request reads the session (by uid, as oidc-provider does from the cookie) ...
        const read = await sessions.findByUid('uid-live');
        expect(read?.jti).to.equal('live-session');
        // ... meanwhile the user signs that browser out ...
        await adapter('Session').destroy('live-session');
        // ... and the request saves the session as it ends: it stays gone.
        await sessions.upsert('live-session', { ...read!, exp: 2_000_000_000 }, 600);
        expect(await adapter('Session').findByUid('uid-live')).to.equal(undefined);
        // A session the request did not read (a new visitor, or the new id a sign-in gives) is stored; once read, it is updated.
        await sessions.upsert('new-session', { jti: 'new-session', uid: 'uid-new', accountId: 'a1' }, 600);
        expect((await sessions.find('new-session'))?.uid).to.equal('uid-new');
        await sessions.upsert('new-session', { jti: 'new-session', uid: 'uid-new', accountId: 'a2' }, 600);
        expect((await adapter('Session').find('new-session'))?.accountId).to.equal('a2');
      } finally {
        currentRequest = undefined;
      }
    });

    it('overwrites on upsert', async () => {
      await adapter('Session').upsert('s-over', { jti: 's-over', uid: 'u-over', accountId: 'a' }, 60);
      await adapter('Session').upsert('s-over', { jti: 's-over', uid: 'u-over', accountId: 'b' }, 60);
      expect((await adapter('Session').find('s-over'))?.accountId).to.equal('b');
    });

    it('never returns an expired row', async () => {
      await adapter('AuthorizationCode').upsert('expiring', { jti: 'expiring', grantId: 'g-exp' }, 1);
      expect(await adapter('AuthorizationCode').find('expiring')).to.not.equal(undefined);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await adapter('AuthorizationCode').find('expiring')).to.equal(undefined);
    });

    it('keeps a row without expiry', async () => {
      await adapter('Interaction').upsert('forever', { jti: 'forever' }, 0);
      expect(await adapter('Interaction').find('forever')).to.deep.include({ jti: 'forever' });
    });

    it('finds a session by uid and a device code by user code', async () => {
      await adapter('Session').upsert('sess-1', { jti: 'sess-1', uid: 'uid-1', accountId: 'acc' }, 60);
      expect((await adapter('Session').findByUid('uid-1'))?.jti).to.equal('sess-1');
      expect(await adapter('Session').findByUid('uid-unknown')).to.equal(undefined);
      await adapter('DeviceCode').upsert('dc-1', { jti: 'dc-1', userCode: 'ABCD-EFGH' }, 60);
      expect((await adapter('DeviceCode').findByUserCode('ABCD-EFGH'))?.jti).to.equal('dc-1');
    });

    const storedRow = async (model: string, storedId: string) =>
      (await testDb.database.knex('oidc_models').where({ model, id: storedId }).first()) as { id: string; payload: Record<string, unknown> } | undefined;
    const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

    for (const model of MODELS.filter((m) => m !== 'Grant')) {
      it(`stores a ${model} under the SHA-256 of its id, with no copy of the id in the row`, async () => {
        const id = `${model}-secret-value-0123456789`;
        // An interaction's resume URL ends with its own id.
        const extra = model === 'Interaction' ? { returnTo: `https://issuer.test/auth/${id}` } : {};
        await adapter(model).upsert(id, { jti: id, kind: model, uid: `${model}-uid`, grantId: 'g-hash', ...extra }, 60);
        expect(await testDb.database.knex('oidc_models').where({ model, id }).first()).to.equal(undefined);
        const row = await storedRow(model, sha256(id));
        expect(row, 'row under the hash').to.not.equal(undefined);
        expect(JSON.stringify(row)).to.not.include(id);
        expect((await adapter(model).find(id))?.jti).to.equal(id);
        if (model === 'Interaction') expect((await adapter(model).find(id))?.returnTo).to.equal(`https://issuer.test/auth/${id}`);
        await adapter(model).destroy(id);
        expect(await storedRow(model, sha256(id))).to.equal(undefined);
      });
    }

    it('keeps grant ids in clear: they are no credential, and JWTs (gid) and other rows (grant_id) refer to them', async () => {
      await adapter('Grant').upsert('grant-clear', { jti: 'grant-clear', accountId: 'a', clientId: 'c' }, 60);
      const row = await storedRow('Grant', 'grant-clear');
      expect(row?.payload).to.not.have.property('jti');
      expect((await adapter('Grant').find('grant-clear'))?.jti).to.equal('grant-clear');
    });

    it('seals the id of sessions and device codes to their own row: copied to another row it does not open', async () => {
      await adapter('Session').upsert('sess-victim', { jti: 'sess-victim', uid: 'uid-victim', accountId: 'victim' }, 60);
      await adapter('Session').upsert('sess-attacker', { jti: 'sess-attacker', uid: 'uid-attacker', accountId: 'attacker' }, 60);
      const victim = await storedRow('Session', sha256('sess-victim'));
      expect(victim?.payload.sealedJti).to.have.keys('kek', 'ct');
      expect((await adapter('Session').findByUid('uid-attacker'))?.jti).to.equal('sess-attacker');
      await testDb.database.knex('oidc_models')
        .where({ model: 'Session', id: sha256('sess-attacker') })
        .update({ payload: testDb.database.knex.raw("jsonb_set(payload, '{sealedJti}', ?::jsonb)", [JSON.stringify(victim!.payload.sealedJti)]) });
      expect(await adapter('Session').findByUid('uid-attacker')).to.equal(undefined);
      // Found by its own id (the cookie), a session needs no sealed id at all.
      expect((await adapter('Session').find('sess-attacker'))?.accountId).to.equal('attacker');
    });

    it('keeps no copy of the session cookie in an interaction', async () => {
      await adapter('Interaction').upsert('int-1', { jti: 'int-1', session: { accountId: 'a', uid: 'uid-s', cookie: 'session-cookie-value' } }, 60);
      expect(JSON.stringify(await storedRow('Interaction', sha256('int-1')))).to.not.include('session-cookie-value');
      expect((await adapter('Interaction').find('int-1'))?.session).to.deep.equal({ accountId: 'a', uid: 'uid-s' });
    });

    it('marks a consumed row as consumed', async () => {
      await adapter('AuthorizationCode').upsert('code-c', { jti: 'code-c', grantId: 'g-c' }, 60);
      await adapter('AuthorizationCode').consume('code-c');
      expect((await adapter('AuthorizationCode').find('code-c'))?.consumed).to.be.a('number');
    });

    it('lets exactly one of many concurrent consumes win; the losers get invalid_grant and the grant is revoked', async () => {
      await adapter('Grant').upsert('g-race', { jti: 'g-race', accountId: 'a', clientId: 'c' }, 600);
      await adapter('AuthorizationCode').upsert('code-race', { jti: 'code-race', grantId: 'g-race' }, 60);
      await adapter('RefreshToken').upsert('rt-race', { jti: 'rt-race', grantId: 'g-race' }, 600);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => adapter('AuthorizationCode').consume('code-race')));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).to.have.length(1);
      expect(lost).to.have.length(9);
      for (const loss of lost) expect(loss.reason).to.be.instanceOf(errors.InvalidGrant);
      expect(await adapter('Grant').find('g-race')).to.equal(undefined);
      expect(await adapter('RefreshToken').find('rt-race')).to.equal(undefined);
      expect(core.revocations.isRevoked('any-jti', 'g-race')).to.equal(true);
    });

    it('revokes by grant id, in batches, only that grant’s rows', async () => {
      const rows = Array.from({ length: 1200 }, (_, i) => ({ jti: `rt-${i}`, grantId: i % 2 ? 'g-big' : 'g-other' }));
      // Written in slices: 1,200 parallel upserts would only measure the connection pool.
      for (let i = 0; i < rows.length; i += 50) {
        await Promise.all(rows.slice(i, i + 50).map((row) => adapter('RefreshToken').upsert(row.jti, row, 600)));
      }
      await adapter('RefreshToken').revokeByGrantId('g-big');
      const remaining = await testDb.database.knex('oidc_models').where({ model: 'RefreshToken' }).whereIn('grant_id', ['g-big', 'g-other']).select('grant_id');
      expect(remaining.filter((r: { grant_id: string }) => r.grant_id === 'g-big')).to.have.length(0);
      expect(remaining.filter((r: { grant_id: string }) => r.grant_id === 'g-other')).to.have.length(600);
    });

    it('uses an index for every lookup column (no parameterised jsonb lookups)', async function () {
      if (kind === 'embedded') this.skip();
      await testDb.database.knex.transaction(async (trx) => {
        // On one connection: the planner must find an index rather than fall back to a scan.
        await trx.raw('SET LOCAL enable_seqscan = off');
        for (const [column, value] of [['grant_id', 'g'], ['uid', 'u'], ['user_code', 'c']] as const) {
          const { rows } = (await trx.raw(`EXPLAIN SELECT * FROM oidc_models WHERE model = 'Session' AND ${column} = ?`, [value])) as {
            rows: { 'QUERY PLAN': string }[];
          };
          expect(rows.map((r) => r['QUERY PLAN']).join('\n'), column).to.match(/Index/);
        }
      });
    });

    it('extends the grant when a refresh token outlives it', async () => {
      await adapter('Grant').upsert('g-short', { jti: 'g-short', exp: Math.floor(Date.now() / 1000) + 10 }, 10);
      await adapter('RefreshToken').upsert('rt-long', { jti: 'rt-long', grantId: 'g-short' }, 3600);
      const grant = await adapter('Grant').find('g-short');
      expect(grant?.exp).to.be.greaterThan(Math.floor(Date.now() / 1000) + 3500);
      const row = await testDb.database.knex('oidc_models').where({ model: 'Grant', id: 'g-short' }).first();
      expect(new Date(row.expires_at).getTime()).to.be.greaterThan(Date.now() + 3500_000);
      // The refresh token itself is stored by the same statement, and found again.
      expect(await adapter('RefreshToken').find('rt-long')).to.include({ jti: 'rt-long', grantId: 'g-short' });
    });

    it('never shortens a grant that outlives its refresh token', async () => {
      const far = Math.floor(Date.now() / 1000) + 86_400;
      await adapter('Grant').upsert('g-long', { jti: 'g-long', exp: far }, 86_400);
      await adapter('RefreshToken').upsert('rt-short', { jti: 'rt-short', grantId: 'g-long' }, 60);
      expect((await adapter('Grant').find('g-long'))?.exp).to.equal(far);
      await adapter('RefreshToken').upsert('rt-short', { jti: 'rt-short', grantId: 'g-long', iat: 1 }, 60);
      expect(await adapter('RefreshToken').find('rt-short')).to.include({ iat: 1 });
    });

    it('detects a replay atomically', async () => {
      await adapter('ReplayDetection').upsert('replay-1', { jti: 'replay-1', iss: 'x' }, 60);
      const again = await adapter('ReplayDetection').upsert('replay-1', { jti: 'replay-1', iss: 'x' }, 60).catch((e: unknown) => e);
      expect(again).to.be.instanceOf(errors.InvalidRequest);
    });

    describe('reading a token\'s grant and session with it', () => {
      const future = () => Math.floor(Date.now() / 1000) + 3600;
      /** Statements `run` sends. */
      const statementsOf = async (run: () => Promise<unknown>) => {
        let count = 0;
        const stop = countStatements(testDb.database.knex, () => (count += 1));
        try {
          await run();
        } finally {
          stop();
        }
        return count;
      };
      const seed = async (suffix: string, grantTtl = 3600, sessionTtl = 3600) => {
        await adapter('Grant').upsert(`g-${suffix}`, { jti: `g-${suffix}`, accountId: 'a1', clientId: 'c1', exp: future() }, grantTtl);
        await adapter('Session').upsert(`s-${suffix}`, { jti: `s-${suffix}`, uid: `u-${suffix}`, accountId: 'a1' }, sessionTtl);
        for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode']) {
          await adapter(model).upsert(`${model}-${suffix}`, { jti: `${model}-${suffix}`, grantId: `g-${suffix}`, sessionUid: `u-${suffix}`, accountId: 'a1', clientId: 'c1' }, 600);
        }
      };
      afterEach(() => (currentRequest = undefined));

      for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode']) {
        it(`finds a ${model}, its grant and its session in one round trip; the two are served once, as stored`, async () => {
          await seed(`${model}-one`);
          const expectedGrant = await adapter('Grant').find(`g-${model}-one`);
          const expectedSession = await adapter('Session').findByUid(`u-${model}-one`);
          currentRequest = {};
          let token: unknown;
          expect(await statementsOf(async () => (token = await readingAhead(model).find(`${model}-${model}-one`)))).to.equal(1);
          expect(token).to.deep.equal(await adapter(model).find(`${model}-${model}-one`));
          let grant: unknown;
          let session: unknown;
          expect(await statementsOf(async () => (grant = await readingAhead('Grant').find(`g-${model}-one`)))).to.equal(0);
          expect(await statementsOf(async () => (session = await readingAhead('Session').findByUid(`u-${model}-one`)))).to.equal(0);
          expect(grant).to.deep.equal(expectedGrant);
          expect(session).to.deep.equal(expectedSession);
          // Once only: a second lookup goes to the database.
          expect(await statementsOf(() => readingAhead('Grant').find(`g-${model}-one`))).to.equal(1);
        });
      }

      it('reads a token\'s user along with it, as the account lookup would read it, kept through the request\'s writes', async () => {
        const user = await core.users.create({ username: 'read-ahead', email: 'read-ahead@example.com', name: 'Read Ahead', password: 'a long enough passphrase' });
        await adapter('Grant').upsert('g-user', { jti: 'g-user', accountId: user.id, clientId: 'c1', exp: future() }, 3600);
        await adapter('AuthorizationCode').upsert('code-user', { jti: 'code-user', grantId: 'g-user', accountId: user.id, clientId: 'c1' }, 600);
        currentRequest = {};
        expect(await statementsOf(() => readingAhead('AuthorizationCode').find('code-user'))).to.equal(1);
        // A code exchange consumes the code before it looks the account up: the user is still kept.
        await readingAhead('AuthorizationCode').consume('code-user');
        const kept = prefetch.takeUser(user.id);
        expect(kept && userFromJson(kept)).to.deep.equal(await core.users.findById(user.id));
        expect(prefetch.takeUser(user.id), 'served once').to.equal(undefined);
        // An account id that is no user's id (not even a UUID) reads no user and fails nothing.
        await seed('no-user');
        expect(await readingAhead('AccessToken').find('AccessToken-no-user')).to.include({ accountId: 'a1' });
        expect(prefetch.takeUser('a1')).to.equal(undefined);
      });

      it('forgets what it read ahead as soon as the request writes', async () => {
        await seed('write');
        currentRequest = {};
        await readingAhead('AccessToken').find('AccessToken-write');
        await readingAhead('Grant').upsert('g-write', { jti: 'g-write', accountId: 'a2', exp: future() }, 3600);
        expect((await readingAhead('Grant').find('g-write'))?.accountId).to.equal('a2');
        await readingAhead('RefreshToken').find('RefreshToken-write');
        await readingAhead('RefreshToken').consume('RefreshToken-write');
        expect(await statementsOf(() => readingAhead('Session').findByUid('u-write'))).to.equal(1);
      });

      it('keeps nothing for another request, nor outside one', async () => {
        await seed('scope');
        currentRequest = {};
        await readingAhead('AccessToken').find('AccessToken-scope');
        currentRequest = {};
        expect(await statementsOf(() => readingAhead('Grant').find('g-scope'))).to.equal(1);
        currentRequest = undefined;
        expect(await statementsOf(() => readingAhead('AccessToken').find('AccessToken-scope'))).to.equal(1);
        expect(await statementsOf(() => readingAhead('Grant').find('g-scope'))).to.equal(1);
      });

      it('never reads ahead an expired grant or session', async () => {
        await seed('expired', 1, 1);
        await testDb.database.knex('oidc_models').whereIn('id', ['g-expired']).orWhere({ model: 'Session', uid: 'u-expired' }).update({ expires_at: new Date(Date.now() - 1000) });
        currentRequest = {};
        expect(await readingAhead('AccessToken').find('AccessToken-expired')).to.include({ grantId: 'g-expired' });
        expect(await readingAhead('Grant').find('g-expired')).to.equal(undefined);
        expect(await readingAhead('Session').findByUid('u-expired')).to.equal(undefined);
      });
    });

    it('destroys a row', async () => {
      await adapter('Interaction').upsert('gone', { jti: 'gone' }, 60);
      await adapter('Interaction').destroy('gone');
      expect(await adapter('Interaction').find('gone')).to.equal(undefined);
    });

    it('serves clients from the clients table, with the secret only as its hash', async () => {
      await core.apis.create({ identifier: 'https://contract.example.com', scopes: [{ name: 'x' }] });
      const { client, clientSecret } = await core.clients.create({ name: 'Contract', apis: ['https://contract.example.com'] });
      const metadata = await adapter('Client').find(client.clientId);
      expect(metadata).to.include({ client_id: client.clientId, client_name: 'Contract', token_endpoint_auth_method: 'client_secret_basic' });
      expect(metadata?.client_secret).to.be.a('string').and.not.equal(clientSecret);
      expect(await adapter('Client').find('unknown-client')).to.equal(undefined);
    });
  });
}
