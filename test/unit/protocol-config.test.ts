// The protocol settings: the DPoP nonce secret (explicit, from a file, or derived from the cookie
// key so that instances sharing their keys share nonces), and the device and logout settings.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { ConfigError, loadConfig } from '../../src/config/config.js';
import { testEnv } from '../helpers/test-config.js';

describe('protocol configuration', () => {
  it('takes DPOP_NONCE_SECRET as base64, hex or from a file', () => {
    const secret = randomBytes(32);
    expect(loadConfig(testEnv({ DPOP_NONCE_SECRET: secret.toString('base64') })).protocol.dpop.nonceSecret.equals(secret)).to.equal(true);
    expect(loadConfig(testEnv({ DPOP_NONCE_SECRET: secret.toString('hex') })).protocol.dpop.nonceSecret.equals(secret)).to.equal(true);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gh-dpop-')), 'secret');
    writeFileSync(file, `${secret.toString('base64url')}\n`);
    expect(loadConfig(testEnv({ DPOP_NONCE_SECRET_FILE: file })).protocol.dpop.nonceSecret.equals(secret)).to.equal(true);
  });

  it('refuses a DPOP_NONCE_SECRET that is not 32 bytes', () => {
    expect(() => loadConfig(testEnv({ DPOP_NONCE_SECRET: randomBytes(16).toString('base64') }))).to.throw(ConfigError, /DPOP_NONCE_SECRET/);
  });

  it('derives the same nonce secret from the same cookie key, and another from another', () => {
    const a = loadConfig(testEnv()).protocol.dpop.nonceSecret;
    const b = loadConfig(testEnv()).protocol.dpop.nonceSecret;
    const c = loadConfig(testEnv({ GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url') })).protocol.dpop.nonceSecret;
    expect(a.length).to.equal(32);
    expect(a.equals(b)).to.equal(true);
    expect(a.equals(c)).to.equal(false);
  });

  it('has defaults for the device flow and back-channel logout, and validates overrides', () => {
    const { protocol } = loadConfig(testEnv());
    expect(protocol).to.deep.include({ deviceCodeTtl: 600, deviceUserCodeAttempts: 10, deviceUserCodeWindowSeconds: 900 });
    expect(protocol.backchannelLogout).to.deep.equal({ attempts: 3, retryDelayMs: 2000 });
    expect(protocol.dpop.requireNonce).to.equal(false);
    expect(loadConfig(testEnv({ DPOP_REQUIRE_NONCE: 'true' })).protocol.dpop.requireNonce).to.equal(true);
    expect(() => loadConfig(testEnv({ BACKCHANNEL_LOGOUT_ATTEMPTS: '0' }))).to.throw(ConfigError);
    expect(() => loadConfig(testEnv({ DEVICE_CODE_TTL: '5' }))).to.throw(ConfigError);
  });
});
