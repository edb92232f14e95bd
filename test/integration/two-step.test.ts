// Two-step sign-in codes: a TOTP code is accepted only in its own 30-second step (ASVS 5.0 V6.5.5)
// and once; recovery codes carry over 112 bits (ASVS 5.0 V6.5.2) and work once.
import { expect } from 'chai';
import { Secret, TOTP } from 'otpauth';

import { createCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/services/logger.js';
import { availableKinds, createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { testConfig } from '../helpers/test-config.js';
import { totpCode } from '../helpers/totp.js';

const STEP_MS = 30_000;

for (const kind of availableKinds()) {
  describe(`two-step sign-in codes (${kind})`, function () {
    this.timeout(90_000);
    let testDb: TestDatabase;
    let core: Core;

    before(async () => {
      testDb = await createTestDatabase({ kind });
      core = createCore({ config: testConfig(), database: testDb.database, logger: createLogger({ level: 'silent' }) });
    });
    after(async () => testDb?.drop());

    it('accepts a TOTP code only in its own time step, once; recovery codes have over 112 bits and work once', async () => {
      const user = await core.users.create({ username: 'totp-steps', password: 'a long enough passphrase' });
      const { secret } = await core.twoStep.begin(user.id, 'totp-steps', 'session-a');
      const totp = new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' });
      const current = await totpCode(secret);
      const at = (offset: number) => totp.generate({ timestamp: current.step * STEP_MS + STEP_MS / 2 + offset });

      // Enrolment: the previous and the next step's codes are refused; only the current one turns it on.
      expect(await core.twoStep.confirm(user.id, at(-STEP_MS), 'session-a')).to.equal(undefined);
      expect(await core.twoStep.confirm(user.id, at(STEP_MS), 'session-a')).to.equal(undefined);
      const recoveryCodes = await core.twoStep.confirm(user.id, current.code, 'session-a');
      expect(recoveryCodes).to.have.length(10);
      for (const code of recoveryCodes!) {
        expect(code).to.match(/^([a-hjkmnp-z2-9]{4}-){5}[a-hjkmnp-z2-9]{4}$/);
        // 24 characters of a 31-letter alphabet: 24 × log2(31) ≈ 118.9 bits.
        expect(24 * Math.log2(31)).to.be.greaterThan(112);
      }
      expect(new Set(recoveryCodes).size).to.equal(10);

      // Sign-in: the enrolment step is used up, the step before has passed, the next has not begun.
      expect(await core.twoStep.verify(user.id, current.code)).to.equal(undefined);
      expect(await core.twoStep.verify(user.id, at(-STEP_MS))).to.equal(undefined);
      expect(await core.twoStep.verify(user.id, at(STEP_MS))).to.equal(undefined);

      // A recovery code, typed in capitals and without its dashes, works once.
      const typed = recoveryCodes![3]!.replaceAll('-', '').toUpperCase();
      expect(await core.twoStep.verify(user.id, typed)).to.equal('recovery_code');
      expect(await core.twoStep.verify(user.id, typed)).to.equal(undefined);
      expect(await core.twoStep.recoveryCodesLeft(user.id)).to.equal(9);
    });

    it('binds an enrolment to the session that started it: another session neither sees its secret nor confirms it', async () => {
      const user = await core.users.create({ username: 'totp-sessions', password: 'a long enough passphrase' });
      const first = await core.twoStep.begin(user.id, 'totp-sessions', 'session-a');
      // The same session (a second tab, a reload) is shown the same secret.
      expect((await core.twoStep.begin(user.id, 'totp-sessions', 'session-a')).secret).to.equal(first.secret);
      expect((await core.twoStep.pending(user.id, 'totp-sessions', 'session-a'))?.secret).to.equal(first.secret);
      // Another session (a stolen cookie) is not shown it, and cannot confirm it.
      expect(await core.twoStep.pending(user.id, 'totp-sessions', 'session-b')).to.equal(undefined);
      expect(await core.twoStep.confirm(user.id, (await totpCode(first.secret)).code, 'session-b')).to.equal(undefined);
      // Starting there makes a secret of its own, which the first session's code no longer matches.
      const other = await core.twoStep.begin(user.id, 'totp-sessions', 'session-b');
      expect(other.secret).to.not.equal(first.secret);
      expect(await core.twoStep.pending(user.id, 'totp-sessions', 'session-a')).to.equal(undefined);
    });
  });
}
