// The validated, frozen configuration of one Gatehouse process, read from the environment once.
import path from 'node:path';
import { z } from 'zod';

import { durationSeconds } from './duration.js';
import { operationsEnvSchema, toOperationsConfig, type OperationsConfig } from './operations-config.js';
import { rateLimitEnvSchema, toRateLimitConfig, type RateLimitConfig } from './rate-limit-config.js';
import { protocolEnvSchema, toProtocolConfig, type ProtocolConfig } from './protocol-config.js';
import { readSecret } from './read-secret.js';
import { resolveSecrets, type Secrets } from './secrets.js';

export const accessTokenAlgs = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export type AccessTokenAlg = (typeof accessTokenAlgs)[number];

export interface TokenLifetimes {
  accessToken: number;
  idToken: number;
  authorizationCode: number;
  refreshToken: number;
  refreshTokenAbsolute: number;
  /** Absolute session lifetime, counted from sign-in. */
  session: number;
  /** Session inactivity timeout, at most `session`. */
  sessionIdle: number;
  interaction: number;
  grant: number;
}

/** Signing-key lifecycle timing, in seconds (see README, "Signing keys"). */
export interface KeyPolicy {
  /** Cache-Control max-age of the JWKS response: how long a verifier may hold a copy. */
  jwksMaxAge: number;
  /** How long a new key is published before it signs (at least jwksMaxAge). */
  activationDelay: number;
  /** How long a retired key stays published after the last token it signed has expired. */
  retentionMargin: number;
  /** Automatic rotation: the age at which a key is replaced; 0 turns it off. */
  rotationInterval: number;
}

/** Serve HTTPS directly with these PEM files (re-read on SIGHUP). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  passphrase: string | undefined;
}

/** The sign-in pages' look (see README, "Branding"). */
export interface BrandConfig {
  name: string;
  /** #rrggbb */
  color: string;
  /** A PNG, SVG, JPEG or WebP file served at /assets/logo. */
  logoFile: string | undefined;
}

/** Failed sign-ins allowed per window before 429 (see README, "Sign-in protection"). */
export interface LoginThrottleConfig {
  windowSeconds: number;
  perAccountAndIp: number;
  perAccount: number;
  perIp: number;
  /** Failures (of the worst counter) after which each further attempt is slowed down. */
  delayAfter: number;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string | undefined;
  issuer: string;
  trustProxy: boolean;
  logLevel: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Put in front of every Redis key (rate-limit counters). */
  redisKeyPrefix: string;
  /** queryTimeoutMs undefined: a little above the statement timeout (database.ts). */
  db: { poolMax: number; statementTimeoutMs: number; connectTimeoutMs: number; queryTimeoutMs: number | undefined };
  secrets: Secrets;
  ttl: TokenLifetimes;
  refreshTokenReuseGraceSeconds: number;
  accessTokenAlg: AccessTokenAlg;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** Password hashes computed at once; unset: one per core, less one. */
  passwordHashConcurrency: number | undefined;
  changeFeedPollMs: number;
  operations: OperationsConfig;
  /** DPoP, PAR, the device flow and back-channel logout. */
  protocol: ProtocolConfig;
  /** Dynamic client registration (RFC 7591): off, open to anyone, or with an initial access token. */
  dynamicRegistration: 'off' | 'open' | 'token';
  keys: KeyPolicy;
  tls: TlsFiles | undefined;
  rateLimits: RateLimitConfig;
  brand: BrandConfig;
  loginThrottle: LoginThrottleConfig;
}

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).optional(),
  ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  TRUST_PROXY: flag,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GATEHOUSE_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  DB_POOL_MAX: z.coerce.number().int().min(2).max(200).default(10),
  // 0: none sent at connection start (PgBouncer in transaction mode; set it on the role instead).
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  ACCESS_TOKEN_TTL: seconds(600),
  ID_TOKEN_TTL: seconds(3600),
  AUTHORIZATION_CODE_TTL: seconds(60),
  REFRESH_TOKEN_TTL: seconds(14 * 24 * 3600),
  REFRESH_TOKEN_ABSOLUTE_TTL: seconds(90 * 24 * 3600),
  SESSION_TTL: seconds(14 * 24 * 3600),
  SESSION_IDLE_TTL: durationSeconds(1).default(24 * 3600),
  INTERACTION_TTL: seconds(15 * 60),
  GRANT_TTL: seconds(14 * 24 * 3600),
  REFRESH_TOKEN_REUSE_GRACE: z.coerce.number().int().min(0).max(60).default(2),
  ACCESS_TOKEN_ALG: z.enum(accessTokenAlgs).default('ES256'),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(19_456).default(19_456),
  ARGON2_ITERATIONS: z.coerce.number().int().min(2).default(2),
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
  ARGON2_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
  CHANGE_FEED_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  ALLOW_HTTP_ISSUER: flag,
  ...operationsEnvSchema,
  ...protocolEnvSchema,
  DYNAMIC_REGISTRATION: z.enum(['off', 'open', 'token']).default('off'),
  JWKS_MAX_AGE: durationSeconds(0).default(600),
  KEY_ACTIVATION_DELAY: durationSeconds(0).optional(),
  KEY_RETENTION_MARGIN: durationSeconds(0).default(300),
  KEY_ROTATION_INTERVAL: durationSeconds(0).default(90 * 86_400),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  BRAND_NAME: z.string().trim().min(1).max(60).default('Gatehouse'),
  BRAND_COLOR: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as #3451b2').default('#3451b2'),
  BRAND_LOGO_FILE: z.string().regex(/\.(png|svg|jpe?g|webp)$/i, 'must be a .png, .svg, .jpg or .webp file').optional(),
  LOGIN_THROTTLE_WINDOW: durationSeconds(60).default(900),
  LOGIN_FAILURES_PER_ACCOUNT_AND_IP: z.coerce.number().int().min(1).default(5),
  LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(20),
  LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).default(100),
  LOGIN_DELAY_AFTER: z.coerce.number().int().min(0).default(3),
  // Client-side: ends a query (and its connection) whose server stopped answering.
  DB_QUERY_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  // Two deployments sharing one Redis database keep their counters apart with different prefixes.
  REDIS_KEY_PREFIX: z.string().max(64).regex(/^\S*$/, 'must not contain spaces').default('gh:'),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`).join('; ');
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // Connection URLs carry passwords: they may come from files too.
  const secret = (name: string) => asConfigError(() => readSecret(env, name));
  const parsed = envSchema.safeParse({
    ...env,
    DATABASE_URL: secret('DATABASE_URL'),
    REDIS_URL: secret('REDIS_URL'),
    DATABASE_LISTEN_URL: secret('DATABASE_LISTEN_URL'),
    METRICS_TOKEN: secret('METRICS_TOKEN'),
  });
  const tlsPassphrase = secret('TLS_KEY_PASSPHRASE');
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration: ${formatIssues(parsed.error)}`);
  }
  const e = parsed.data;
  const rateLimitEnv = z.object(rateLimitEnvSchema).safeParse(env);
  if (!rateLimitEnv.success) throw new ConfigError(`invalid configuration: ${formatIssues(rateLimitEnv.error)}`);
  const tls = tlsFiles(e.TLS_CERT_FILE, e.TLS_KEY_FILE, tlsPassphrase);
  const issuer = (e.ISSUER ?? `${tls ? 'https' : 'http'}://localhost:${e.PORT}`).replace(/\/+$/, '');
  const issuerUrl = new URL(issuer);
  if (issuerUrl.search || issuerUrl.hash) {
    throw new ConfigError('invalid configuration: ISSUER must not have a query or fragment');
  }
  if (e.NODE_ENV === 'production' && issuerUrl.protocol !== 'https:') {
    if (!(e.ALLOW_HTTP_ISSUER && isLoopbackHost(issuerUrl.hostname))) {
      throw new ConfigError('invalid configuration: ISSUER must be https in production (ALLOW_HTTP_ISSUER=true permits http on a loopback host only)');
    }
  }
  if (tls && issuerUrl.protocol !== 'https:') {
    throw new ConfigError('invalid configuration: TLS_CERT_FILE is set, so ISSUER must be https');
  }
  const keys = keyPolicy(e);
  const dataDir = path.resolve(cwd, e.GATEHOUSE_DATA_DIR);
  const secrets = asConfigError(() => resolveSecrets(env, { production: e.NODE_ENV === 'production', dataDir }));

  const config: Config = {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    issuer,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    db: { poolMax: e.DB_POOL_MAX, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS, connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, queryTimeoutMs: e.DB_QUERY_TIMEOUT_MS },
    secrets,
    ttl: {
      accessToken: e.ACCESS_TOKEN_TTL,
      idToken: e.ID_TOKEN_TTL,
      authorizationCode: e.AUTHORIZATION_CODE_TTL,
      refreshToken: e.REFRESH_TOKEN_TTL,
      refreshTokenAbsolute: Math.max(e.REFRESH_TOKEN_ABSOLUTE_TTL, e.REFRESH_TOKEN_TTL),
      session: e.SESSION_TTL,
      sessionIdle: Math.min(e.SESSION_IDLE_TTL, e.SESSION_TTL),
      interaction: e.INTERACTION_TTL,
      grant: e.GRANT_TTL,
    },
    refreshTokenReuseGraceSeconds: e.REFRESH_TOKEN_REUSE_GRACE,
    accessTokenAlg: e.ACCESS_TOKEN_ALG,
    argon2: { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_ITERATIONS, parallelism: e.ARGON2_PARALLELISM },
    passwordHashConcurrency: e.ARGON2_CONCURRENCY,
    changeFeedPollMs: e.CHANGE_FEED_POLL_MS,
    operations: toOperationsConfig(e),
    protocol: asConfigError(() => toProtocolConfig(e, env, secrets.cookieKeys[0]!)),
    dynamicRegistration: e.DYNAMIC_REGISTRATION,
    keys,
    tls,
    rateLimits: toRateLimitConfig(rateLimitEnv.data),
    brand: { name: e.BRAND_NAME, color: e.BRAND_COLOR.toLowerCase(), logoFile: e.BRAND_LOGO_FILE && path.resolve(cwd, e.BRAND_LOGO_FILE) },
    loginThrottle: {
      windowSeconds: e.LOGIN_THROTTLE_WINDOW,
      perAccountAndIp: e.LOGIN_FAILURES_PER_ACCOUNT_AND_IP,
      perAccount: Math.max(e.LOGIN_FAILURES_PER_ACCOUNT, e.LOGIN_FAILURES_PER_ACCOUNT_AND_IP + 1),
      perIp: e.LOGIN_FAILURES_PER_IP,
      delayAfter: e.LOGIN_DELAY_AFTER,
    },
  };
  return deepFreeze(config);
}

/** Secret settings fail as configuration errors (exit code 78), whatever the cause: a missing file, both NAME and NAME_FILE, a short key. */
function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`, { cause: error });
  }
}

function tlsFiles(certFile: string | undefined, keyFile: string | undefined, passphrase: string | undefined): TlsFiles | undefined {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) {
    throw new ConfigError('invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE go together');
  }
  return { certFile, keyFile, passphrase };
}

function keyPolicy(e: z.infer<typeof envSchema>): KeyPolicy {
  // By default a new key signs only after every verifier's cached JWKS has expired, plus a margin
  // for propagation to every instance and for clock skew.
  const activationDelay = e.KEY_ACTIVATION_DELAY ?? e.JWKS_MAX_AGE + 300;
  if (activationDelay < e.JWKS_MAX_AGE) {
    throw new ConfigError(
      'invalid configuration: KEY_ACTIVATION_DELAY must be at least JWKS_MAX_AGE, or verifiers could see tokens signed by a key they have not fetched yet',
    );
  }
  if (e.KEY_ROTATION_INTERVAL !== 0 && e.KEY_ROTATION_INTERVAL <= activationDelay) {
    throw new ConfigError('invalid configuration: KEY_ROTATION_INTERVAL must be longer than KEY_ACTIVATION_DELAY (or 0 to turn automatic rotation off)');
  }
  return {
    jwksMaxAge: e.JWKS_MAX_AGE,
    activationDelay,
    retentionMargin: e.KEY_RETENTION_MARGIN,
    rotationInterval: e.KEY_ROTATION_INTERVAL,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
