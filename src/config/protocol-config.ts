// Settings of the protocol extensions: DPoP nonces, the device flow
// and back-channel logout delivery. Parsed with the rest of the environment (config.ts).
import { hkdfSync } from 'node:crypto';

import { z } from 'zod';

import { readSecret } from './read-secret.js';

export interface ProtocolConfig {
  dpop: {
    /** Key of the stateless DPoP nonces: the same on every instance, so a nonce from one is accepted by all. */
    nonceSecret: Buffer;
    /** Every DPoP proof must carry a server nonce (RFC 9449 §8). */
    requireNonce: boolean;
  };
  /** Lifetime of a device code and its user code, in seconds. */
  deviceCodeTtl: number;
  /** User-code attempts allowed per client address and window (guessing protection). */
  deviceUserCodeAttempts: number;
  deviceUserCodeWindowSeconds: number;
  backchannelLogout: {
    /** Deliveries of one logout token (the first plus retries). */
    attempts: number;
    /** Wait before the first retry; doubled for each further one. */
    retryDelayMs: number;
  };
}

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const protocolEnvSchema = {
  DPOP_REQUIRE_NONCE: flag,
  DEVICE_CODE_TTL: z.coerce.number().int().min(60).max(3600).default(600),
  DEVICE_USER_CODE_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  DEVICE_USER_CODE_WINDOW: z.coerce.number().int().min(10).max(86_400).default(900),
  BACKCHANNEL_LOGOUT_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  BACKCHANNEL_LOGOUT_RETRY_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
};

type ProtocolEnv = { [K in keyof typeof protocolEnvSchema]: z.output<(typeof protocolEnvSchema)[K]> };

function nonceSecretOf(env: NodeJS.ProcessEnv, cookieKey: string): Buffer {
  const value = readSecret(env, 'DPOP_NONCE_SECRET');
  if (value === undefined) {
    // Instances that share cookie keys then share nonces too; a separate secret is better practice.
    return Buffer.from(hkdfSync('sha256', cookieKey, 'gatehouse', 'dpop nonce secret', 32));
  }
  const hex = /^[0-9a-fA-F]{64}$/.test(value.trim()) ? Buffer.from(value.trim(), 'hex') : undefined;
  const key = hex ?? Buffer.from(value.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) throw new Error('DPOP_NONCE_SECRET: must be 32 bytes, base64 or hex encoded (e.g. `openssl rand -base64 32`)');
  return key;
}

export function toProtocolConfig(e: ProtocolEnv, env: NodeJS.ProcessEnv, cookieKey: string): ProtocolConfig {
  return {
    dpop: { nonceSecret: nonceSecretOf(env, cookieKey), requireNonce: e.DPOP_REQUIRE_NONCE },
    deviceCodeTtl: e.DEVICE_CODE_TTL,
    deviceUserCodeAttempts: e.DEVICE_USER_CODE_ATTEMPTS,
    deviceUserCodeWindowSeconds: e.DEVICE_USER_CODE_WINDOW,
    backchannelLogout: { attempts: e.BACKCHANNEL_LOGOUT_ATTEMPTS, retryDelayMs: e.BACKCHANNEL_LOGOUT_RETRY_DELAY_MS },
  };
}
