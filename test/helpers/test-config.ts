// A valid configuration for tests: fixed test secrets, quiet logs, overridable per test.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

import { loadConfig, type Config } from '../../src/config/config.js';

export const TEST_SECRETS = {
  GATEHOUSE_KEK: randomBytes(32).toString('base64'),
  GATEHOUSE_COOKIE_KEYS: randomBytes(32).toString('base64url'),
  GATEHOUSE_PEPPER: randomBytes(32).toString('base64url'),
};

export function testEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    GATEHOUSE_DATA_DIR: path.join(os.tmpdir(), `gh-test-${process.pid}`),
    CHANGE_FEED_POLL_MS: '200',
    ...TEST_SECRETS,
    ...overrides,
  };
}

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig(testEnv(overrides));
}
