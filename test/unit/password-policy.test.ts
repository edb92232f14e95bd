// The password policy's context words (ASVS 5.0 V6.2.11) and Unicode normalisation (NIST SP 800-63B
// §5.1.1.2): a password little more than the user's name, email or the service's name is refused;
// the same text composed differently (NFC or NFD) is the same password.
import { expect } from 'chai';

import { passwordSchema } from '../../src/schemas/user.js';
import { buildsOnContext, contextWords, passwordProblem } from '../../src/services/password-policy.js';
import { PasswordHasher } from '../../src/services/passwords.js';

describe('password policy', () => {
  const context = contextWords('alice', 'alice.smith@example.com', 'Alice Smith', 'Gatehouse', 'gatehouse');

  it('collects the context words: username, email and name parts, service names; no short ones', () => {
    expect(context).to.have.members(['alice', 'smith', 'example', 'gatehouse']);
    expect(contextWords('bo', 'x@y.io')).to.deep.equal([]);
  });

  it('refuses a password that is little more than its context words', () => {
    for (const password of ['alicealice', 'Alice-Smith-2026', 'gatehouse2026', 'GATEHOUSE!alice', 'smith.example.com']) {
      expect(passwordProblem(password, context), password).to.equal('context');
    }
  });

  it('accepts a passphrase that merely contains one', () => {
    for (const password of ['alice likes long walks', 'correct horse battery staple', 'a gatehouse with a moat']) {
      expect(passwordProblem(password, context), password).to.equal(undefined);
    }
    expect(buildsOnContext('alicealice', [])).to.equal(false);
  });

  it('counts the length and checks the common list in the form that is hashed (NFC): a decomposed spelling is no way around them', () => {
    // Six "ü" are 12 code points decomposed, 6 characters in NFC: too short either way.
    expect(passwordProblem('üüüüüü'.normalize('NFD'))).to.equal('too_short');
    expect(passwordProblem('ǖǖǖǖǖǖǖǖ'.normalize('NFD'))).to.equal(undefined);
    // The same rule where the CLI and the admin API set passwords.
    expect(passwordSchema.safeParse('üüüüüü'.normalize('NFD')).success).to.equal(false);
    expect(passwordSchema.safeParse('ǖǖǖǖǖǖǖǖ'.normalize('NFD')).success).to.equal(true);
  });

  it('hashes in NFC: the same text typed composed or decomposed verifies either way', async () => {
    const hasher = new PasswordHasher({ memoryCost: 19_456, timeCost: 2, parallelism: 1 }, 1);
    const composed = 'Pässwort-Schlüssel-Straße';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).to.not.equal(composed);
    const hash = await hasher.hash(decomposed);
    expect(await hasher.check(hash, composed)).to.equal('match');
    expect(await hasher.check(hash, decomposed)).to.equal('match');
    expect(await hasher.check(hash, 'Passwort-Schlussel-Strasse')).to.equal('no_match');
  });

  it('still verifies a hash made from text that was not NFC, and says it is worth hashing again', async () => {
    const argon2 = (await import('argon2')).default;
    const decomposed = 'Pässwort-Schlüssel'.normalize('NFD');
    const legacy = await argon2.hash(decomposed, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const hasher = new PasswordHasher({ memoryCost: 19_456, timeCost: 2, parallelism: 1 }, 1);
    expect(await hasher.check(legacy, decomposed)).to.equal('legacy_match');
    expect(await hasher.verify(legacy, decomposed)).to.equal(true);
  });
});
