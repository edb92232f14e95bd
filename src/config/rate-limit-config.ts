// Rate limits per endpoint: each endpoint has a per-IP limit and (except the authorization
// endpoint, where no client has authenticated) a per-client limit. A setting is
// `POINTS/WINDOW[/BLOCK]`, e.g. `2000/10s` or `20/1m/5m`. The defaults leave room for a
// well-behaved client at well over 100 requests per second.
import { z } from 'zod';

import { parseDuration } from './duration.js';

export interface LimitPolicy {
  /** Requests allowed per window. */
  points: number;
  durationSeconds: number;
  /** Once over the limit, refuse for this long (0: until the window ends). */
  blockSeconds: number;
}

export const RATE_LIMITED_ENDPOINTS = ['token', 'introspection', 'revocation', 'userinfo', 'par', 'device', 'registration', 'authorization'] as const;
export type RateLimitedEndpoint = (typeof RATE_LIMITED_ENDPOINTS)[number];

export interface EndpointLimits {
  perIp: LimitPolicy;
  /** Counted for the client that authenticated (or that the token belongs to). */
  perClient: LimitPolicy | undefined;
}

export interface RateLimitConfig {
  enabled: boolean;
  endpoints: Record<RateLimitedEndpoint, EndpointLimits>;
}

const HIGH = '3000/10s';
const DEFAULTS: Record<RateLimitedEndpoint, { ip: string; client: string | undefined }> = {
  token: { ip: HIGH, client: HIGH },
  introspection: { ip: HIGH, client: HIGH },
  revocation: { ip: HIGH, client: HIGH },
  userinfo: { ip: HIGH, client: HIGH },
  par: { ip: HIGH, client: HIGH },
  device: { ip: HIGH, client: HIGH },
  // Above 100 requests/s like the others, but lower: a client registers once, and open registration writes rows.
  registration: { ip: '1500/10s', client: '1500/10s' },
  authorization: { ip: HIGH, client: undefined },
};

export function parseLimitPolicy(value: string): LimitPolicy | undefined {
  const parts = value.trim().split('/');
  if (parts.length < 2 || parts.length > 3) return undefined;
  const points = /^\d+$/.test(parts[0]!) ? Number.parseInt(parts[0]!, 10) : NaN;
  const durationSeconds = parseDuration(parts[1]!);
  const blockSeconds = parts[2] === undefined ? 0 : parseDuration(parts[2]);
  if (!Number.isSafeInteger(points) || points < 1 || !durationSeconds || blockSeconds === undefined) return undefined;
  return { points, durationSeconds, blockSeconds };
}

const policySchema = z.string().transform((value, ctx) => {
  const policy = parseLimitPolicy(value);
  if (!policy) {
    ctx.addIssue({ code: 'custom', message: 'must be POINTS/WINDOW[/BLOCK], e.g. 2000/10s or 20/1m/5m' });
    return z.NEVER;
  }
  return policy;
});

const envName = (endpoint: RateLimitedEndpoint, per: 'IP' | 'CLIENT') => `RATE_LIMIT_${endpoint.toUpperCase()}_PER_${per}`;

export const rateLimitEnvSchema = {
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  ...Object.fromEntries(
    RATE_LIMITED_ENDPOINTS.flatMap((endpoint) => [
      [envName(endpoint, 'IP'), policySchema.optional()],
      ...(DEFAULTS[endpoint].client ? [[envName(endpoint, 'CLIENT'), policySchema.optional()]] : []),
    ]),
  ),
} as Record<string, z.ZodType>;

export function toRateLimitConfig(env: Record<string, unknown>): RateLimitConfig {
  const endpoints = Object.fromEntries(
    RATE_LIMITED_ENDPOINTS.map((endpoint) => {
      const defaults = DEFAULTS[endpoint];
      const perIp = (env[envName(endpoint, 'IP')] as LimitPolicy | undefined) ?? parseLimitPolicy(defaults.ip)!;
      const perClient = defaults.client ? ((env[envName(endpoint, 'CLIENT')] as LimitPolicy | undefined) ?? parseLimitPolicy(defaults.client)!) : undefined;
      return [endpoint, { perIp, perClient }];
    }),
  ) as Record<RateLimitedEndpoint, EndpointLimits>;
  return { enabled: env.RATE_LIMITS !== 'off', endpoints };
}
