// Rate limits in front of oidc-provider: per IP (counted before anything else is done) and per
// client on the OAuth endpoints. The per-client count is taken for the client oidc-provider
// authenticated (or whose token was presented), so nobody can use up another client's budget by
// sending its client_id with a wrong secret; a client already over its limit is refused before its
// request is processed. Over the limit: 429 with Retry-After and the IETF RateLimit /
// RateLimit-Policy headers (draft-ietf-httpapi-ratelimit-headers), in the endpoint's error shape.
import { createHash } from 'node:crypto';

import type { Context, Middleware, Next } from 'koa';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

import { RATE_LIMITED_ENDPOINTS, type EndpointLimits, type LimitPolicy, type RateLimitConfig, type RateLimitedEndpoint } from '../config/rate-limit-config.js';
import { requestFacts } from '../routes/request-facts.js';
import type { AuditLog } from '../services/audit-log.js';
import type { Logger } from '../services/logger.js';
import { claimedClientId } from './oauth-request.js';

/** oidc-provider's default paths (Gatehouse does not change them); PAR and device flow count whether or not they are enabled. */
const ENDPOINT_PATHS: [RegExp, RateLimitedEndpoint][] = [
  [/^\/token\/introspection\/?$/, 'introspection'],
  [/^\/token\/revocation\/?$/, 'revocation'],
  [/^\/token\/?$/, 'token'],
  [/^\/me\/?$/, 'userinfo'],
  [/^\/request\/?$/, 'par'],
  [/^\/device\/auth\/?$/, 'device'],
  [/^\/reg$|^\/reg\/[^/]*$/, 'registration'],
  [/^\/auth$|^\/auth\/[^/]*$/, 'authorization'],
];

export function rateLimitedEndpoint(path: string): RateLimitedEndpoint | undefined {
  return ENDPOINT_PATHS.find(([pattern]) => pattern.test(path))?.[1];
}

/** Limiters that can answer far below the limit in process (BatchedRateLimiter) do so without a promise. */
interface InProcessAnswers {
  consumeInProcess?(key: string): RateLimiterRes | undefined;
  getInProcess?(key: string): RateLimiterRes | undefined;
}
const inProcess = (limiter: RateLimiterAbstract) => limiter as RateLimiterAbstract & InProcessAnswers;

export interface RateLimiterFactory {
  create(keyPrefix: string, policy: LimitPolicy): RateLimiterAbstract;
}

export interface RateLimitOptions {
  config: RateLimitConfig;
  store: RateLimiterFactory;
  audit: AuditLog;
  logger: Logger;
  /** Renders the 429 page for a browser at the authorization endpoint. */
  renderPage(ctx: Context, message: string): Promise<void>;
  /** Every refusal, for the metrics (the audit log keeps the first of each window only). */
  onRefused?(limiter: string, ip: string): void;
}

interface Counted {
  name: string;
  policy: LimitPolicy;
  res: RateLimiterRes;
}

interface Limiters {
  ip: { name: string; policy: LimitPolicy; limiter: RateLimiterAbstract };
  client: { name: string; policy: LimitPolicy; limiter: RateLimiterAbstract } | undefined;
}

function buildLimiters(store: RateLimiterFactory, endpoint: RateLimitedEndpoint, limits: EndpointLimits): Limiters {
  const ipName = `${endpoint}-ip`;
  const clientName = `${endpoint}-client`;
  return {
    ip: { name: ipName, policy: limits.perIp, limiter: store.create(`rl:${ipName}`, limits.perIp) },
    client: limits.perClient ? { name: clientName, policy: limits.perClient, limiter: store.create(`rl:${clientName}`, limits.perClient) } : undefined,
  };
}

const secondsUntil = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

function setHeaders(ctx: Context, counted: Counted[]): void {
  if (!counted.length) return;
  ctx.set('RateLimit-Policy', counted.map((c) => `"${c.name}";q=${c.policy.points};w=${c.policy.durationSeconds}`).join(', '));
  ctx.set('RateLimit', counted.map((c) => `"${c.name}";r=${Math.max(0, c.res.remainingPoints)};t=${secondsUntil(c.res)}`).join(', '));
}

/** The client oidc-provider identified, unless its authentication failed (it is known before the secret is checked). */
function authenticatedClientId(ctx: Context): string | undefined {
  const clientId = (ctx as { oidc?: { client?: { clientId?: string } } }).oidc?.client?.clientId;
  if (!clientId || ctx.status === 401) return undefined;
  const error = (ctx.body as { error?: unknown } | undefined)?.error;
  return error === 'invalid_client' ? undefined : clientId;
}

export default function rateLimit(options: RateLimitOptions): Middleware {
  const { config, store, audit, logger } = options;
  // Built up front, so the store's connection (Redis) is open before the first request.
  const limiters = new Map(RATE_LIMITED_ENDPOINTS.map((endpoint) => [endpoint, buildLimiters(store, endpoint, config.endpoints[endpoint])]));
  const limitersFor = (endpoint: RateLimitedEndpoint) => limiters.get(endpoint)!;
  // Opaque access tokens (userinfo) name no client: remember whose each one is once it has been
  // used, by the hash of the header, so the next request with it can be refused before processing.
  const tokenClients = new Map<string, string>();
  const tokenKey = (ctx: Context) => {
    const authorization = ctx.get('authorization');
    return /^(Bearer|DPoP) /i.test(authorization) ? createHash('sha256').update(authorization).digest('base64url') : undefined;
  };
  const rememberTokenClient = (key: string, clientId: string) => {
    if (tokenClients.size >= 10_000) tokenClients.delete(tokenClients.keys().next().value!);
    tokenClients.set(key, clientId);
  };

  /** A store failure the insurance limiter could not absorb lets the request through (never an outage). */
  const storeFailed = (error: unknown, name: string) => {
    logger.warn({ err: error, limiter: name }, 'rate-limit store failed; request not counted');
    return undefined;
  };

  // One audit event per limiter, client and address per window: the first refusal says it all, and a
  // blocked sender must not turn each further request into a database write (metrics count them all).
  const audited = new Map<string, number>();
  const firstRefusalInWindow = (key: string, resetsAt: number): boolean => {
    const now = Date.now();
    if ((audited.get(key) ?? 0) > now) return false;
    if (audited.size >= 10_000) for (const [k, until] of audited) if (until <= now) audited.delete(k);
    if (audited.size < 10_000) audited.set(key, resetsAt);
    return true;
  };

  const refuse = async (ctx: Context, endpoint: RateLimitedEndpoint, over: Counted, counted: Counted[], clientId: string | undefined) => {
    const retryAfter = secondsUntil(over.res);
    options.onRefused?.(over.name, ctx.ip);
    if (firstRefusalInWindow(`${over.name}|${clientId ?? ''}|${ctx.ip}`, Date.now() + over.res.msBeforeNext)) {
      audit.record({ type: 'rate_limited', outcome: 'failure', clientId: clientId ?? null, ...requestFacts(ctx), details: { limiter: over.name, endpoint } });
    }
    ctx.status = 429;
    ctx.set('Retry-After', String(retryAfter));
    ctx.set('Cache-Control', 'no-store');
    setHeaders(ctx, counted);
    const description = `rate limit exceeded; retry after ${retryAfter} seconds`;
    if (endpoint === 'authorization' && ctx.accepts('json', 'html') === 'html') {
      await options.renderPage(ctx, description);
      ctx.status = 429;
      return;
    }
    ctx.body = { error: 'too_many_requests', error_description: description };
  };

  const limited = async (ctx: Context, next: Next, endpoint: RateLimitedEndpoint) => {
    const { ip, client } = limitersFor(endpoint);
    const counted: Counted[] = [];

    const ipKey = ctx.ip || 'unknown';
    const ipRes =
      inProcess(ip.limiter).consumeInProcess?.(ipKey) ??
      (await ip.limiter.consume(ipKey).catch((error: unknown) => (error instanceof RateLimiterRes ? error : storeFailed(error, ip.name))));
    if (ipRes) {
      const entry = { name: ip.name, policy: ip.policy, res: ipRes };
      counted.push(entry);
      if (ipRes.consumedPoints > ip.policy.points) return refuse(ctx, endpoint, entry, counted, claimedClientId(ctx));
    }

    const bearer = client ? tokenKey(ctx) : undefined;
    const claimed = client ? (claimedClientId(ctx) ?? (bearer ? tokenClients.get(bearer) : undefined)) : undefined;
    if (client && claimed) {
      const res = inProcess(client.limiter).getInProcess?.(claimed) ?? (await client.limiter.get(claimed).catch((error: unknown) => storeFailed(error, client.name)));
      if (res && res.consumedPoints >= client.policy.points) {
        const entry = { name: client.name, policy: client.policy, res: new RateLimiterRes(0, res.msBeforeNext, res.consumedPoints, false) };
        return refuse(ctx, endpoint, entry, [...counted, entry], claimed);
      }
    }

    try {
      await next();
    } finally {
      const clientId = authenticatedClientId(ctx);
      if (client && clientId) {
        if (bearer && !claimed) rememberTokenClient(bearer, clientId);
        const res =
          inProcess(client.limiter).consumeInProcess?.(clientId) ??
          (await client.limiter.consume(clientId).catch((error: unknown) => (error instanceof RateLimiterRes ? error : storeFailed(error, client.name))));
        if (res) {
          counted.push({ name: client.name, policy: client.policy, res });
          // The request that reached the limit starts the block, if the policy has one.
          if (res.consumedPoints >= client.policy.points && client.policy.blockSeconds > 0) {
            await client.limiter.block(clientId, client.policy.blockSeconds).catch((error: unknown) => storeFailed(error, client.name));
          }
        }
      }
      setHeaders(ctx, counted);
    }
  };

  return (ctx, next) => {
    const endpoint = config.enabled && ctx.method !== 'OPTIONS' ? rateLimitedEndpoint(ctx.path) : undefined;
    return endpoint ? limited(ctx, next, endpoint) : next();
  };
}
