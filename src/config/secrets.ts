// Key-encryption keys, cookie keys and the client-secret pepper: from the environment (or *_FILE),
// generated into the data directory in development, mandatory in production.
/* eslint-disable security/detect-non-literal-fs-filename -- paths come from the operator's configuration or the project itself, never from a request */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { readSecret } from './read-secret.js';

export interface KeyEncryptionKey {
  /** Short stable identifier stored beside each ciphertext, so the right KEK is chosen for decryption. */
  id: string;
  key: Buffer;
}

export interface Secrets {
  /** The first encrypts; all decrypt (KEK rotation). */
  keks: readonly KeyEncryptionKey[];
  /** The first signs cookies; all verify (rotation). */
  cookieKeys: readonly string[];
  pepper: Buffer;
  /** Names of the secrets generated for development into the data directory. */
  generated: readonly string[];
}

interface DevSecretsFile {
  kek: string;
  cookieKeys: string[];
  pepper: string;
}

const SECRETS_FILE = 'dev-secrets.json';

export function kekFromString(value: string): KeyEncryptionKey {
  const key = decodeKey(value, 32);
  if (!key) {
    throw new Error('GATEHOUSE_KEK: each key must be 32 bytes, base64 or base64url encoded (e.g. `openssl rand -base64 32`)');
  }
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 12), key };
}

function decodeKey(value: string, length: number): Buffer | undefined {
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length === length * 2) return Buffer.from(trimmed, 'hex');
  const normalized = trimmed.replace(/-/g, '+').replace(/_/g, '/');
  const buffer = Buffer.from(normalized, 'base64');
  return buffer.length === length ? buffer : undefined;
}

function splitList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

function loadOrCreateDevSecrets(dataDir: string): DevSecretsFile {
  const file = path.join(dataDir, SECRETS_FILE);
  if (existsSync(file)) {
    return JSON.parse(readFileSync(file, 'utf8')) as DevSecretsFile;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const generated: DevSecretsFile = {
    kek: randomBytes(32).toString('base64url'),
    cookieKeys: [randomBytes(32).toString('base64url')],
    pepper: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return generated;
}

export function resolveSecrets(
  env: NodeJS.ProcessEnv,
  { production, dataDir }: { production: boolean; dataDir: string },
): Secrets {
  const kekValue = readSecret(env, 'GATEHOUSE_KEK');
  const cookieValue = readSecret(env, 'GATEHOUSE_COOKIE_KEYS');
  const pepperValue = readSecret(env, 'GATEHOUSE_PEPPER');
  const missing = [
    kekValue ? undefined : 'GATEHOUSE_KEK',
    cookieValue ? undefined : 'GATEHOUSE_COOKIE_KEYS',
    pepperValue ? undefined : 'GATEHOUSE_PEPPER',
  ].filter((name): name is string => name !== undefined);

  if (production && missing.length) {
    throw new Error(`production mode requires ${missing.join(', ')} (or the *_FILE variants); refusing to start with development secrets`);
  }
  const dev = missing.length ? loadOrCreateDevSecrets(dataDir) : undefined;

  const keks = splitList(kekValue ?? dev!.kek).map(kekFromString);
  const cookieKeys = cookieValue ? splitList(cookieValue) : dev!.cookieKeys;
  if (cookieKeys.some((k) => k.length < 32)) {
    throw new Error('GATEHOUSE_COOKIE_KEYS: each key must be at least 32 characters');
  }
  const pepper = pepperValue ? Buffer.from(pepperValue, 'utf8') : Buffer.from(dev!.pepper, 'utf8');
  if (pepper.length < 32) {
    throw new Error('GATEHOUSE_PEPPER must be at least 32 characters');
  }
  return { keks, cookieKeys, pepper, generated: missing };
}
