// Key-encryption keys: a wrong KEK is a clear error and never a new key; a KEK rotation
// (GATEHOUSE_KEK="new,old") keeps everything readable; `rekey` moves every sealed secret — signing
// keys, the sealed ids of sessions and TOTP secrets — under the new KEK, after which the old one can go.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';


import { kekFromString } from '../../src/config/secrets.js';
import { createCore, type Core } from '../../src/core.js';
import { KeyDecryptionError } from '../../src/services/key-encryption.js';
import { createLogger } from '../../src/services/logger.js';
import { adapterFor } from '../helpers/adapter.js';
import { availableKinds, createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { testConfig } from '../helpers/test-config.js';
import { totpCode } from '../helpers/totp.js';

const newKek = () => randomBytes(32).toString('base64');

for (const kind of availableKinds()) {
  describe(`key-encryption keys (${kind})`, function () {
    this.timeout(60_000);
    let testDb: TestDatabase;
    const kekA = newKek();
    const kekB = newKek();
    const idOf = (kek: string) => kekFromString(kek).id;
    const coreWith = (keks: string): Core =>
      createCore({ config: testConfig({ GATEHOUSE_KEK: keks }), database: testDb.database, logger: createLogger({ level: 'silent' }) });
    const countKeys = async () => ((await testDb.database.knex('signing_keys').count({ n: '*' })) as { n: string }[])[0]!.n;

    before(async () => {
      testDb = await createTestDatabase({ kind });
      await coreWith(kekA).signingKeys.ensureCurrentKeys(['RS256', 'ES256']);
    });
    after(async () => testDb?.drop());

    it('stores private keys encrypted, under the id of the KEK that encrypts them', async () => {
      const rows = (await testDb.database.knex('signing_keys').select('kek_id', 'private_jwk_encrypted', 'public_jwk')) as {
        kek_id: string;
        private_jwk_encrypted: string;
        public_jwk: Record<string, unknown>;
      }[];
      for (const row of rows) {
        expect(row.kek_id).to.equal(idOf(kekA));
        expect(row.private_jwk_encrypted).to.match(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
        expect(row.public_jwk).to.not.have.property('d');
      }
    });

    it('refuses a wrong KEK with an error naming the key and the KEK it needs, and creates no key', async () => {
      const wrong = coreWith(kekB);
      const before = await countKeys();
      const loaded = await wrong.signingKeys.load().catch((e: unknown) => e);
      expect(loaded).to.be.instanceOf(KeyDecryptionError);
      const message = (loaded as Error).message;
      expect(message).to.include(idOf(kekA)).and.include('GATEHOUSE_KEK').and.include(idOf(kekB)).and.include('does not replace');
      // Not on a new algorithm, not by rotation, not by rekey: nothing is written under the wrong KEK.
      expect(await wrong.signingKeys.ensureCurrentKeys(['PS256']).catch((e: unknown) => e)).to.be.instanceOf(KeyDecryptionError);
      expect(await wrong.keyRotation.rotate().catch((e: unknown) => e)).to.be.instanceOf(KeyDecryptionError);
      expect(await wrong.rekeying.rekey().catch((e: unknown) => e)).to.be.instanceOf(KeyDecryptionError);
      expect(await countKeys()).to.equal(before);
    });

    it('refuses a KEK with the right id but tampered ciphertext', async () => {
      const [row] = (await testDb.database.knex('signing_keys').select('kid', 'private_jwk_encrypted')) as { kid: string; private_jwk_encrypted: string }[];
      const parts = row!.private_jwk_encrypted.split('.');
      const body = Buffer.from(parts[2]!, 'base64url');
      body[0] = body[0]! ^ 1;
      parts[2] = body.toString('base64url');
      await testDb.database.knex('signing_keys').where({ kid: row!.kid }).update({ private_jwk_encrypted: parts.join('.') });
      try {
        const error = await coreWith(kekA).signingKeys.load().catch((e: unknown) => e);
        expect(error).to.be.instanceOf(KeyDecryptionError);
        expect((error as Error).message).to.include(row!.kid).and.include('wrong key or tampered data');
      } finally {
        await testDb.database.knex('signing_keys').where({ kid: row!.kid }).update({ private_jwk_encrypted: row!.private_jwk_encrypted });
      }
    });

    it('rotates the KEK: both read during the rotation, rekey moves keys and session ids, then the old KEK can go', async () => {
      // A session sealed under the old KEK, and one sealed under the new KEK during the rotation.
      const before = coreWith(kekA);
      await before.keyRing.reload();
      await adapterFor(before)('Session').upsert('session-old-kek', { jti: 'session-old-kek', uid: 'uid-old', accountId: 'a' }, 600);
      // A user with two-step sign-in: the TOTP secret is sealed under the old KEK.
      const totpUser = await before.users.create({ username: 'totp-user', password: 'a long enough passphrase' });
      const enrolment = await before.twoStep.begin(totpUser.id, 'totp-user', 'session-1');
      const enrolled = await totpCode(enrolment.secret);
      expect(await before.twoStep.confirm(totpUser.id, enrolled.code, 'session-1')).to.have.length(10);
      const rotating = coreWith(`${kekB},${kekA}`);
      await rotating.keyRing.reload();
      await adapterFor(rotating)('Session').upsert('session-new-kek', { jti: 'session-new-kek', uid: 'uid-new', accountId: 'a' }, 600);
      expect(await rotating.rekeying.kekIdsInUse()).to.have.members([idOf(kekA), idOf(kekB)]);
      // New keys are sealed under the first KEK.
      await rotating.signingKeys.ensureCurrentKeys(['PS256']);

      const result = await rotating.rekeying.rekey();
      expect(result.kekId).to.equal(idOf(kekB));
      expect(result.rewritten).to.deep.equal({ signing_keys: 2, token_ids: 1, totp_secrets: 1 });
      expect(result.kekIdsInUse).to.deep.equal([idOf(kekB)]);
      expect((await rotating.rekeying.rekey()).rewritten).to.deep.equal({ signing_keys: 0, token_ids: 0, totp_secrets: 0 });

      // Only the new KEK now: everything opens, sessions are still found by uid with their id.
      const after = coreWith(kekB);
      await after.keyRing.reload();
      expect(after.keyRing.keys.records.every((k) => k.kekId === idOf(kekB))).to.equal(true);
      const sessions = adapterFor(after)('Session');
      expect((await sessions.findByUid('uid-old'))?.jti).to.equal('session-old-kek');
      expect((await sessions.findByUid('uid-new'))?.jti).to.equal('session-new-kek');
      // The TOTP secret opens under the new KEK alone (a code of a later time step: each works once).
      expect(await after.twoStep.verify(totpUser.id, (await totpCode(enrolment.secret, { after: enrolled.step })).code)).to.equal('totp');
      // And the old KEK alone no longer reads anything.
      expect(await coreWith(kekA).signingKeys.load().catch((e: unknown) => e)).to.be.instanceOf(KeyDecryptionError);
    });
  });
}
