// Every secret setting is also read from NAME_FILE (Docker/Kubernetes secrets); production refuses
// to start without explicit secrets; key-lifecycle and TLS settings are validated at start.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { ConfigError, loadConfig } from '../../src/config/config.js';
import { kekFromString } from '../../src/config/secrets.js';

describe('configuration of secrets', () => {
  let dir: string;
  const file = (name: string, content: string) => {
    const full = path.join(dir, name);
    writeFileSync(full, content);
    return full;
  };
  const base = () => ({ NODE_ENV: 'test', GATEHOUSE_DATA_DIR: path.join(dir, 'data') });
  const failure = (env: NodeJS.ProcessEnv): ConfigError => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('expected a configuration error');
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gh-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every secret setting from NAME_FILE, trailing newline trimmed', () => {
    const newKek = randomBytes(32).toString('base64');
    const oldKek = randomBytes(32).toString('base64');
    const cookieKeys = [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
    const pepper = randomBytes(32).toString('base64url');
    const config = loadConfig({
      ...base(),
      GATEHOUSE_KEK_FILE: file('kek', `${newKek},${oldKek}\n`),
      GATEHOUSE_COOKIE_KEYS_FILE: file('cookies', `${cookieKeys.join(',')}\n`),
      GATEHOUSE_PEPPER_FILE: file('pepper', `${pepper}\n`),
      DATABASE_URL_FILE: file('db', 'postgres://gatehouse:s3cret@db.internal:5432/gatehouse\n'),
      REDIS_URL_FILE: file('redis', 'redis://:s3cret@redis.internal:6379\n'),
      DATABASE_LISTEN_URL_FILE: file('listen', 'postgres://gatehouse:s3cret@db-direct.internal:5432/gatehouse\n'),
      METRICS_TOKEN_FILE: file('metrics', `${'m'.repeat(40)}\n`),
      TLS_CERT_FILE: '/etc/gatehouse/tls.crt',
      TLS_KEY_FILE: '/etc/gatehouse/tls.key',
      TLS_KEY_PASSPHRASE_FILE: file('passphrase', 'pass phrase\n'),
    });
    expect(config.secrets.keks.map((k) => k.key.toString('base64'))).to.deep.equal([newKek, oldKek]);
    expect(config.secrets.keks[0]!.id).to.equal(kekFromString(newKek).id);
    expect(config.secrets.cookieKeys).to.deep.equal(cookieKeys);
    expect(config.secrets.pepper.toString('utf8')).to.equal(pepper);
    expect(config.databaseUrl).to.equal('postgres://gatehouse:s3cret@db.internal:5432/gatehouse');
    expect(config.redisUrl).to.equal('redis://:s3cret@redis.internal:6379');
    expect(config.operations.databaseListenUrl).to.equal('postgres://gatehouse:s3cret@db-direct.internal:5432/gatehouse');
    expect(config.operations.metrics.token).to.equal('m'.repeat(40));
    expect(config.tls?.passphrase).to.equal('pass phrase');
    expect(config.secrets.generated).to.deep.equal([]);
  });

  it('refuses NAME together with NAME_FILE, and a NAME_FILE that cannot be read', () => {
    const pepper = file('pepper', randomBytes(32).toString('base64url'));
    expect(failure({ ...base(), GATEHOUSE_PEPPER: 'x'.repeat(40), GATEHOUSE_PEPPER_FILE: pepper }).message).to.include('either GATEHOUSE_PEPPER or GATEHOUSE_PEPPER_FILE');
    expect(failure({ ...base(), GATEHOUSE_KEK_FILE: path.join(dir, 'missing') }).message).to.include('ENOENT');
  });

  it('refuses a KEK that is not 32 bytes and cookie keys or a pepper that are too short', () => {
    expect(failure({ ...base(), GATEHOUSE_KEK: 'too-short' }).message).to.include('GATEHOUSE_KEK');
    expect(failure({ ...base(), GATEHOUSE_COOKIE_KEYS: 'short' }).message).to.include('GATEHOUSE_COOKIE_KEYS');
    expect(failure({ ...base(), GATEHOUSE_PEPPER: 'short' }).message).to.include('GATEHOUSE_PEPPER');
  });

  it('refuses to start in production without a KEK (or any other secret), naming what is missing', () => {
    const secrets = {
      GATEHOUSE_KEK: randomBytes(32).toString('base64'),
      GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
      GATEHOUSE_PEPPER: randomBytes(32).toString('base64url'),
    };
    const production = { ...base(), NODE_ENV: 'production', ISSUER: 'https://id.example.com' };
    expect(failure({ ...production, ...secrets, GATEHOUSE_KEK: undefined }).message).to.match(/production mode requires GATEHOUSE_KEK\b/);
    expect(failure({ ...production }).message).to.include('GATEHOUSE_KEK, GATEHOUSE_COOKIE_KEYS, GATEHOUSE_PEPPER');
    expect(existsSync(path.join(dir, 'data', 'dev-secrets.json'))).to.equal(false);
    expect(loadConfig({ ...production, ...secrets }).secrets.generated).to.deep.equal([]);
  });

  it('generates development secrets once into the data directory, readable by the owner only', () => {
    const first = loadConfig(base());
    expect(first.secrets.generated).to.deep.equal(['GATEHOUSE_KEK', 'GATEHOUSE_COOKIE_KEYS', 'GATEHOUSE_PEPPER']);
    const stored = path.join(dir, 'data', 'dev-secrets.json');
    expect(statSync(stored).mode & 0o777).to.equal(0o600);
    const second = loadConfig(base());
    expect(second.secrets.keks[0]!.id).to.equal(first.secrets.keks[0]!.id);
    expect(JSON.parse(readFileSync(stored, 'utf8')).kek).to.be.a('string');
  });
});

describe('configuration of key lifecycle and TLS', () => {
  const env = (extra: Record<string, string | undefined>) => ({
    NODE_ENV: 'test',
    GATEHOUSE_DATA_DIR: os.tmpdir(),
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    GATEHOUSE_PEPPER: randomBytes(32).toString('base64url'),
    ...extra,
  });

  it('defaults: JWKS cached 10 minutes, keys sign 5 minutes after that, rotated every 90 days', () => {
    expect(loadConfig(env({})).keys).to.deep.equal({ jwksMaxAge: 600, activationDelay: 900, retentionMargin: 300, rotationInterval: 90 * 86_400 });
  });

  it('accepts durations with units, and 0 to turn automatic rotation off', () => {
    const keys = loadConfig(env({ JWKS_MAX_AGE: '1h', KEY_ACTIVATION_DELAY: '2h', KEY_RETENTION_MARGIN: '90s', KEY_ROTATION_INTERVAL: '30d' })).keys;
    expect(keys).to.deep.equal({ jwksMaxAge: 3600, activationDelay: 7200, retentionMargin: 90, rotationInterval: 30 * 86_400 });
    expect(loadConfig(env({ KEY_ROTATION_INTERVAL: '0' })).keys.rotationInterval).to.equal(0);
  });

  it('refuses a key that would sign before verifiers can have fetched it, and nonsense durations', () => {
    expect(() => loadConfig(env({ JWKS_MAX_AGE: '600', KEY_ACTIVATION_DELAY: '60' }))).to.throw(ConfigError, /KEY_ACTIVATION_DELAY must be at least JWKS_MAX_AGE/);
    expect(() => loadConfig(env({ KEY_ROTATION_INTERVAL: '10m' }))).to.throw(ConfigError, /KEY_ROTATION_INTERVAL/);
    expect(() => loadConfig(env({ KEY_ROTATION_INTERVAL: 'soon' }))).to.throw(ConfigError, /KEY_ROTATION_INTERVAL/);
  });

  it('serves https with TLS files: the default issuer is https, an http issuer is refused, the pair goes together', () => {
    expect(loadConfig(env({ TLS_CERT_FILE: '/c', TLS_KEY_FILE: '/k', PORT: '8443' })).issuer).to.equal('https://localhost:8443');
    expect(() => loadConfig(env({ TLS_CERT_FILE: '/c', TLS_KEY_FILE: '/k', ISSUER: 'http://localhost:8443' }))).to.throw(ConfigError, /must be https/);
    expect(() => loadConfig(env({ TLS_CERT_FILE: '/c' }))).to.throw(ConfigError, /go together/);
    expect(loadConfig(env({})).tls).to.equal(undefined);
  });

  it('refuses an http issuer in production unless explicitly allowed on loopback', () => {
    const production = { NODE_ENV: 'production' };
    expect(() => loadConfig(env({ ...production, ISSUER: 'http://id.example.com' }))).to.throw(ConfigError, /https in production/);
    expect(() => loadConfig(env({ ...production, ISSUER: 'http://id.example.com', ALLOW_HTTP_ISSUER: 'true' }))).to.throw(ConfigError, /loopback/);
    expect(loadConfig(env({ ...production, ISSUER: 'http://127.0.0.1:3000', ALLOW_HTTP_ISSUER: 'true' })).issuer).to.equal('http://127.0.0.1:3000');
  });
});
