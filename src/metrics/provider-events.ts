// Counts what oidc-provider issues and refuses, from its events: tokens by type, grant type and API;
// token endpoint requests by grant type and result. Label values are checked against known sets so
// that a client sending junk cannot create new time series.
import type Provider from 'oidc-provider';

import type { GatehouseMetrics } from './metrics.js';

const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:openid:params:grant-type:ciba']);
const OAUTH_ERROR = /^[a-z_]{1,40}$/;

interface IssuedToken {
  kind?: string;
  gty?: string;
  resourceServer?: { identifier(): string };
}

interface EventContext {
  oidc?: { params?: { grant_type?: unknown } };
}

function grantTypeOf(value: unknown): string {
  const last = typeof value === 'string' ? value.split(' ').at(-1) : undefined;
  return last && GRANT_TYPES.has(last) ? last : 'other';
}

function apiOf(token: IssuedToken): string {
  // Registered API identifiers only (resource indicators are checked against the catalog); none for userinfo tokens.
  return token.resourceServer?.identifier() ?? 'none';
}

export function recordProviderEvents(provider: Provider, metrics: GatehouseMetrics): void {
  provider.on('access_token.issued', (token: IssuedToken) => {
    metrics.tokensIssued.inc({ type: 'access_token', grant_type: grantTypeOf(token.gty), api: apiOf(token) });
  });
  // Opaque access tokens are saved rather than issued; Gatehouse issues JWTs, but count either way.
  provider.on('access_token.saved', (token: IssuedToken) => {
    metrics.tokensIssued.inc({ type: 'access_token', grant_type: grantTypeOf(token.gty), api: apiOf(token) });
  });
  provider.on('client_credentials.issued', (token: IssuedToken) => {
    metrics.tokensIssued.inc({ type: 'access_token', grant_type: 'client_credentials', api: apiOf(token) });
  });
  provider.on('client_credentials.saved', (token: IssuedToken) => {
    metrics.tokensIssued.inc({ type: 'access_token', grant_type: 'client_credentials', api: apiOf(token) });
  });
  provider.on('refresh_token.saved', (token: IssuedToken & { consumed?: unknown }) => {
    // Saved again when consumed by rotation (the library re-saves it); only new ones count.
    if (token.consumed) return;
    metrics.tokensIssued.inc({ type: 'refresh_token', grant_type: grantTypeOf(token.gty), api: 'none' });
  });
  provider.on('grant.success', (ctx: EventContext) => {
    metrics.tokenRequests.inc({ grant_type: grantTypeOf(ctx.oidc?.params?.grant_type), result: 'success' });
  });
  provider.on('grant.error', (ctx: EventContext, error: { error?: unknown }) => {
    const code = typeof error.error === 'string' && OAUTH_ERROR.test(error.error) ? error.error : 'server_error';
    metrics.tokenRequests.inc({ grant_type: grantTypeOf(ctx.oidc?.params?.grant_type), result: code });
  });
}
