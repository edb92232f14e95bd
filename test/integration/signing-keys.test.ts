// The signing-key lifecycle against the real database: one key per algorithm, rotation with a
// published successor, the one-at-a-time guarantee across instances (advisory lock), automatic
// rotation, persisted transitions and removal only after every token a key signed has expired.
import { expect } from 'chai';

import { createCore, type Core } from '../../src/core.js';
import { AppError } from '../../src/errors/app-error.js';
import { createLogger } from '../../src/services/logger.js';
import { keysAt, type KeyInfo } from '../../src/services/signing-keys.js';
import { availableKinds, createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { testConfig } from '../helpers/test-config.js';

const coreFor = (testDb: TestDatabase, env: Record<string, string> = {}): Core =>
  createCore({ config: testConfig(env), database: testDb.database, logger: createLogger({ level: 'silent' }) });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const byAlg = (keys: KeyInfo[], alg: string) => keys.filter((k) => k.alg === alg);
const storedStates = async (testDb: TestDatabase) =>
  Object.fromEntries(((await testDb.database.knex('signing_keys').select('kid', 'state')) as { kid: string; state: string }[]).map((r) => [r.kid, r.state]));

for (const kind of availableKinds()) {
  describe(`signing keys (${kind})`, function () {
    this.timeout(60_000);

    describe('creation and manual rotation', () => {
      let testDb: TestDatabase;
      let core: Core;
      before(async () => {
        testDb = await createTestDatabase({ kind });
        core = coreFor(testDb);
      });
      after(async () => testDb?.drop());

      it('creates one current key per algorithm, once, when instances start together', async () => {
        const cores = Array.from({ length: 4 }, () => coreFor(testDb));
        const created = await Promise.all(cores.map((c) => c.signingKeys.ensureCurrentKeys(['RS256', 'ES256'])));
        expect(created.flat()).to.have.length(2);
        const keys = await core.signingKeys.list();
        expect(keys.map((k) => [k.alg, k.state]).sort()).to.deep.equal([['ES256', 'current'], ['RS256', 'current']]);
        expect(await core.signingKeys.ensureCurrentKeys(['RS256', 'ES256'])).to.deep.equal([]);
      });

      it('publishes a successor at once that signs only after the activation delay; the predecessor retires then', async () => {
        const [old] = byAlg(await core.signingKeys.list(), 'ES256');
        const before = Date.now();
        const [successor] = await core.keyRotation.rotate({ algs: ['ES256'] });
        const after = Date.now();
        const delayMs = core.config.keys.activationDelay * 1000;
        expect(successor!.state).to.equal('next');
        expect(successor!.activatesAt.getTime()).to.be.within(before + delayMs, after + delayMs);

        const retiring = (await core.signingKeys.list()).find((k) => k.kid === old!.kid)!;
        expect(retiring.state).to.equal('current');
        expect(retiring.retiredAt).to.deep.equal(successor!.activatesAt);
        // ID tokens come back as hints while their session lives: the key stays as long as a session can.
        const retention = Math.max(core.config.ttl.idToken, core.config.ttl.session, core.config.ttl.accessToken) + 5 + core.config.keys.retentionMargin;
        expect(retiring.removeAfter!.getTime() - retiring.retiredAt!.getTime()).to.equal(retention * 1000);

        // What every instance publishes and signs with, before, at and after the transitions.
        const decrypted = await core.signingKeys.load();
        const now = keysAt(decrypted, after);
        expect(now.providerJwks.find((k) => k.kid === successor!.kid)?.key_ops).to.deep.equal(['verify']);
        expect(now.providerJwks.find((k) => k.kid === old!.kid)?.key_ops).to.equal(undefined);
        expect(now.nextTransitionAt).to.deep.equal(successor!.activatesAt);
        const activated = keysAt(decrypted, successor!.activatesAt.getTime());
        expect(activated.providerJwks.find((k) => k.kid === successor!.kid)?.key_ops).to.equal(undefined);
        expect(activated.providerJwks.find((k) => k.kid === old!.kid)?.key_ops).to.deep.equal(['verify']);
        expect(activated.verificationKeys.has(old!.kid)).to.equal(true);
        const removed = keysAt(decrypted, retiring.removeAfter!.getTime());
        expect(removed.verificationKeys.has(old!.kid)).to.equal(false);
        expect(removed.providerJwks.map((k) => k.kid)).to.not.include(old!.kid);
      });

      it('refuses a second rotation while a successor waits; --now makes the waiting successor sign at once', async () => {
        const waiting = byAlg(await core.signingKeys.list(), 'ES256').find((k) => k.state === 'next')!;
        const again = await core.keyRotation.rotate({ algs: ['ES256'] }).catch((e: unknown) => e);
        expect(again).to.be.instanceOf(AppError);
        expect((again as AppError).code).to.equal('conflict');
        expect((again as AppError).message).to.include(waiting.kid);

        const [activated] = await core.keyRotation.rotate({ algs: ['ES256'], immediately: true });
        expect(activated!.kid).to.equal(waiting.kid);
        expect(activated!.state).to.equal('current');
        const es = byAlg(await core.signingKeys.list(), 'ES256');
        expect(es.map((k) => k.state).sort()).to.deep.equal(['current', 'retired']);
        const states = await storedStates(testDb);
        for (const key of es) expect(states[key.kid]).to.equal(key.state);
      });

      it('lets exactly one of several instances rotating at once publish a successor', async () => {
        const cores = Array.from({ length: 4 }, () => coreFor(testDb));
        const results = await Promise.allSettled(cores.map((c) => c.keyRotation.rotate({ algs: ['RS256'] })));
        expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
        for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
          expect((r.reason as AppError).code).to.equal('conflict');
        }
        expect(byAlg(await core.signingKeys.list(), 'RS256').filter((k) => k.state === 'next')).to.have.length(1);
      });

      it('rotates every algorithm in use by default, and refuses unknown algorithms', async () => {
        await core.apis.create({ identifier: 'https://eddsa.example.com', scopes: [{ name: 'x' }], signingAlg: 'EdDSA' });
        expect((await core.algsInUse()).sort()).to.deep.equal(['ES256', 'EdDSA', 'RS256']);
        const refused = await core.keyRotation.rotate({ algs: ['HS256'] }).catch((e: unknown) => e);
        expect((refused as AppError).code).to.equal('invalid_input');
        // RS256 already has a successor waiting: the whole request is refused, nothing is written.
        const before = (await core.signingKeys.list()).length;
        expect(((await core.keyRotation.rotate().catch((e: unknown) => e)) as AppError).code).to.equal('conflict');
        expect((await core.signingKeys.list()).length).to.equal(before);
        const rotated = await core.keyRotation.rotate({ algs: ['ES256', 'EdDSA'] });
        expect(rotated.map((k) => k.alg).sort()).to.deep.equal(['ES256', 'EdDSA']);
      });
    });

    describe('automatic rotation', () => {
      let testDb: TestDatabase;
      const env = { JWKS_MAX_AGE: '0', KEY_ACTIVATION_DELAY: '1', KEY_ROTATION_INTERVAL: '2', KEY_RETENTION_MARGIN: '0' };
      before(async () => {
        testDb = await createTestDatabase({ kind });
      });
      after(async () => testDb?.drop());

      it('publishes one successor per algorithm in use when a key nears the interval, timed to sign at it', async () => {
        const core = coreFor(testDb, env);
        await core.signingKeys.ensureCurrentKeys(await core.algsInUse());
        expect(await core.keyRotation.rotateDue()).to.deep.equal([]);
        const originals = await core.signingKeys.list();
        // Due one activation delay before the interval ends.
        await sleep(1100);
        const cores = Array.from({ length: 3 }, () => coreFor(testDb, env));
        const rotated = (await Promise.all(cores.map((c) => c.keyRotation.rotateDue()))).flat();
        expect(rotated.map((k) => k.alg).sort()).to.deep.equal(['ES256', 'RS256']);
        for (const successor of rotated) {
          const original = originals.find((k) => k.alg === successor.alg)!;
          expect(successor.state).to.equal('next');
          expect(successor.activatesAt.getTime()).to.be.at.least(original.activatesAt.getTime() + 2000);
        }
        expect(await core.keyRotation.rotateDue()).to.deep.equal([]);
      });

      it('does nothing when turned off, where it would have rotated', async () => {
        const off = coreFor(testDb, { ...env, KEY_ROTATION_INTERVAL: '0', ACCESS_TOKEN_ALG: 'PS256' });
        await off.signingKeys.ensureCurrentKeys(['PS256']);
        await sleep(1100);
        expect(await off.keyRotation.rotateDue()).to.deep.equal([]);
        const on = coreFor(testDb, { ...env, ACCESS_TOKEN_ALG: 'PS256' });
        // (Other algorithms may be due again by now: only PS256 matters here.)
        expect((await on.keyRotation.rotateDue()).map((k) => k.alg)).to.include('PS256');
      });
    });

    describe('persisted transitions and removal', () => {
      let testDb: TestDatabase;
      // Tokens and sign-in sessions (whose ID tokens come back as hints) live 1 s: a retired key stays 1 + 5 (clock tolerance) + 0 seconds.
      const env = { JWKS_MAX_AGE: '0', KEY_ACTIVATION_DELAY: '0', KEY_ROTATION_INTERVAL: '0', KEY_RETENTION_MARGIN: '0', ID_TOKEN_TTL: '1', ACCESS_TOKEN_TTL: '1', SESSION_TTL: '1' };
      before(async () => {
        testDb = await createTestDatabase({ kind });
      });
      after(async () => testDb?.drop());

      it('records each state change and deletes a retired key only once every token it signed has expired', async () => {
        const core = coreFor(testDb, env);
        await core.signingKeys.ensureCurrentKeys(['RS256', 'ES256']);
        const [old] = byAlg(await core.signingKeys.list(), 'RS256');
        const [successor] = await core.keyRotation.rotate({ algs: ['RS256'], immediately: true });
        const retired = (await core.signingKeys.list()).find((k) => k.kid === old!.kid)!;
        expect(retired.state).to.equal('retired');
        expect(retired.removeAfter!.getTime() - retired.retiredAt!.getTime()).to.equal(6000);
        const events: string[] = [];
        core.feed.on('signing-key', (e) => events.push(e.key));

        expect(await core.keyRotation.maintain()).to.equal(0);
        expect((await storedStates(testDb))[old!.kid]).to.equal('retired');
        while (Date.now() < retired.removeAfter!.getTime()) {
          // Until then it is published, and maintenance leaves it alone.
          expect((await core.keyRing.reload()).verificationKeys.has(old!.kid)).to.equal(true);
          expect(await core.keyRotation.maintain()).to.equal(0);
          await sleep(500);
        }
        expect((await core.keyRing.reload()).verificationKeys.has(old!.kid)).to.equal(false);
        expect(await core.keyRotation.maintain()).to.equal(1);
        const states = await storedStates(testDb);
        expect(states).to.not.have.property(old!.kid);
        expect(states[successor!.kid]).to.equal('current');
        // Other instances are told.
        expect(events).to.deep.equal(['maintenance']);
      });

      it('keeps a retired key published longer when tokens may now live longer (a new API with a longer lifetime)', async () => {
        const core = coreFor(testDb, env);
        const [old] = byAlg(await core.signingKeys.list(), 'ES256');
        await core.keyRotation.rotate({ algs: ['ES256'], immediately: true });
        const retired = (await core.signingKeys.list()).find((k) => k.kid === old!.kid)!;
        await core.apis.create({ identifier: 'https://long.example.com', scopes: [{ name: 'x' }], accessTokenTtl: 3600 });
        expect(await core.keyRotation.maintain()).to.be.at.least(1);
        const extended = (await core.signingKeys.list()).find((k) => k.kid === old!.kid)!;
        expect(extended.removeAfter!.getTime()).to.equal(retired.retiredAt!.getTime() + (3600 + 5) * 1000);
        // Never shortened again.
        expect(await core.keyRotation.maintain()).to.equal(0);
      });

      it('activates a published successor at once if an algorithm has nothing that signs', async () => {
        const core = coreFor(testDb, { ...env, KEY_ACTIVATION_DELAY: '600', JWKS_MAX_AGE: '600' });
        await core.signingKeys.ensureCurrentKeys(['PS256']);
        const [waiting] = await core.keyRotation.rotate({ algs: ['PS256'] });
        const [current] = byAlg(await core.signingKeys.list(), 'PS256').filter((k) => k.state === 'current');
        await testDb.database.knex('signing_keys').where({ kid: current!.kid }).delete();
        expect(await core.signingKeys.ensureCurrentKeys(['PS256'])).to.deep.equal([waiting!.kid]);
        expect(byAlg(await core.signingKeys.list(), 'PS256').map((k) => [k.kid, k.state])).to.deep.equal([[waiting!.kid, 'current']]);
      });
    });
  });
}
