// The composition root: wires configuration, database, services, oidc-provider and routers into
// one Koa application. Nothing here is module-level state: tests build as many apps as they like.
import type { EventEmitter } from 'node:events';

import type { Context } from 'koa';
import Provider from 'oidc-provider';

import type { Config } from './config/config.js';
import { settingsToRecord } from './config/server-settings.js';
import { createCore, type Core } from './core.js';
import type { Database } from './db/database.js';
import { countStatements, observeQueries, poolStats } from './db/instrumentation.js';
import { migrationStatus } from './db/migrate.js';
import { recordAuditEvent, recordRateLimitHit } from './metrics/audit-metrics.js';
import { GatehouseMetrics } from './metrics/metrics.js';
import { recordProviderEvents } from './metrics/provider-events.js';
import accessLog from './middleware/koa-access-log.js';
import authorizationErrorConformance from './middleware/koa-authorization-error-conformance.js';
import { canonicalPaths } from './middleware/koa-canonical-paths.js';
import corsPolicy from './middleware/koa-cors-policy.js';
import databaseUnavailable, { flagDatabaseOutages } from './middleware/koa-database-unavailable.js';
import httpMetrics from './middleware/koa-http-metrics.js';
import errorNormaliser from './middleware/koa-error-normaliser.js';
import httpsExpected from './middleware/koa-https-expected.js';
import initialAccessToken from './middleware/koa-initial-access-token.js';
import introspectionSubject from './middleware/koa-introspection-subject.js';
import jwksCaching from './middleware/koa-jwks-caching.js';
import oauthErrorConformance from './middleware/koa-oauth-error-conformance.js';
import rateLimit from './middleware/koa-rate-limit.js';
import registrationResponse from './middleware/koa-registration-response.js';
import { mountedAt } from './middleware/koa-mounted.js';
import postAsGet from './middleware/koa-post-as-get.js';
import allowedMethods from './middleware/koa-allowed-methods.js';
import postOnly from './middleware/koa-post-only.js';
import { publicDocumentCache } from './middleware/koa-public-document-cache.js';
import requestLimits from './middleware/koa-request-limits.js';
import requestId from './middleware/koa-request-id.js';
import requestTarget from './middleware/koa-request-target.js';
import securityHeaders from './middleware/koa-security-headers.js';
import tokenResourceCheck from './middleware/koa-token-resource-check.js';
import { createAdapterClass } from './oidc/adapter.js';
import { AccessTokenVerifier } from './oidc/access-token-verifier.js';
import { withDatabaseAvailability } from './oidc/availability.js';
import { corsAllowed, type CorsClient } from './oidc/cors.js';
import { noteDpopRefusals } from './oidc/dpop-refusals.js';
import { createOutboundFetch, type OutboundOutcome } from './oidc/outbound-fetch.js';
import { createPublicNetworkFetch } from './oidc/public-network.js';
import { reuseClientInstances } from './oidc/client-instances.js';
import { ClientMetadataMapper } from './oidc/client-metadata.js';
import { limitUserCodeGuessing, prefillUserCode, restartStaleCodeEntry } from './oidc/device-flow.js';
import { advertisePollingInterval, limitDevicePolling, POLLING_WINDOW_SECONDS } from './oidc/device-polling.js';
import { createProvider } from './oidc/provider.js';
import { LoadedSessions } from './oidc/loaded-sessions.js';
import { RequestPrefetch } from './oidc/request-prefetch.js';
import { REGISTRATION_PATH } from './oidc/registration.js';
import { auditLogouts } from './oidc/logout-audit.js';
import { auditTokenReuse } from './oidc/reuse-audit.js';
import { auditTokens } from './oidc/token-audit.js';
import { createAdminAuth } from './routes/admin/admin-auth.js';
import { adminRoutes } from './routes/admin/admin-routes.js';
import { createDocsRenderer } from './routes/admin/docs-page.js';
import { buildOpenApiDocument } from './routes/admin/openapi.js';
import { createAdminRouter } from './routes/admin/router.js';
import { createAccountRouter } from './routes/account.js';
import { LOGO_PATH, createAssetsRouter } from './routes/assets.js';
import { createHealthRouter } from './routes/health.js';
import { createInteractionRouter } from './routes/interaction.js';
import { createMetricsRouter } from './routes/metrics.js';
import { BackchannelLogoutSender } from './services/backchannel-logout.js';
import { JanitorSchedule } from './services/janitor.js';
import { SIGNING_KEY_TOPIC } from './services/key-ring.js';
import type { Logger } from './services/logger.js';
import { LoginThrottle } from './services/login-throttle.js';
import { CsrfTokens } from './ui/csrf.js';
import { PendingLogins } from './ui/pending-login.js';
import { ViewRenderer } from './ui/views.js';

export interface GatehouseApp {
  /** The Koa application (oidc-provider is itself a Koa app; Gatehouse's routes run in front of it). */
  app: Provider;
  provider: Provider;
  core: Core;
  /** This app's Prometheus registry and metrics. */
  metrics: GatehouseMetrics;
  /** Readiness turns false; in-flight requests continue. */
  beginShutdown(): void;
  /** Stops background work. The database is the caller's to close. */
  close(): Promise<void>;
  /** Back-channel logout deliveries (tests wait for them to settle). */
  logoutSender: BackchannelLogoutSender;
}

export async function createApp({ config, database, logger }: { config: Config; database: Database; logger: Logger }): Promise<GatehouseApp> {
  const core = createCore({ config, database, logger });
  const { catalog, revocations, keyRing, feed } = core;
  const operations = config.operations;
  const metrics = new GatehouseMetrics({
    pool: () => poolStats(database.knex),
    keys: () => {
      try {
        return keyRing.keys.records;
      } catch {
        return [];
      }
    },
    revocationListSize: () => revocations.size,
  });
  const stopCountingStatements = countStatements(database.knex, () => metrics.dbStatements.inc());
  const stopObservingQueries = observeQueries(database.knex, ({ operation, seconds, ok }) =>
    metrics.dbQueryDuration.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds),
  );
  core.audit.onRecord((event) => recordAuditEvent(metrics, event));

  await feed.start();
  // For the CLI, which reads the same database: the issuer and API defaults it must agree with.
  await core.repositories.serverSettings.write(settingsToRecord(config));
  await revocations.load();
  // The admin API's identifier follows the issuer: make sure the entity exists for this one.
  await core.apis.ensureAdminApi();
  // A wrong KEK stops start-up here with an error naming the key and the KEK it needs.
  const created = await core.signingKeys.ensureCurrentKeys(await core.algsInUse());
  if (created.length) await feed.publish({ topic: SIGNING_KEY_TOPIC, key: created.join(','), expiresAt: null });
  await keyRing.reload();
  warnAboutOldKeks(core, logger);

  const accessTokens = new AccessTokenVerifier({ issuer: config.issuer, keys: keyRing, revocations, clockToleranceSeconds: 5 });
  // oidc-provider's own async context names the request (its endpoints only; elsewhere nothing is read ahead).
  const prefetch = new RequestPrefetch(() => Provider.ctx);
  const adapter = withDatabaseAvailability(createAdapterClass({
    models: core.repositories.models,
    catalog,
    clientMetadata: new ClientMetadataMapper(),
    accessTokens,
    revocations,
    grants: core.grants,
    refreshTokenReuseGraceSeconds: config.refreshTokenReuseGraceSeconds,
    registeredClients: core.registeredClients,
    tokenIds: core.tokenIds,
    prefetch,
    currentRoute: () => (Provider.ctx as { oidc?: { route?: string } } | undefined)?.oidc?.route,
    sessionLifetime: config.ttl.session,
    loadedSessions: new LoadedSessions(() => Provider.ctx),
  }));
  const views = new ViewRenderer({
    brand: { name: config.brand.name, color: config.brand.color, logoUrl: config.brand.logoFile ? LOGO_PATH : undefined },
    cache: config.nodeEnv === 'production',
  });
  const observeOutbound = (outcome: OutboundOutcome, seconds: number) => {
    metrics.outboundRequests.inc({ outcome });
    metrics.outboundDuration.observe({ outcome }, seconds);
  };
  const outboundFetch = createOutboundFetch({ timeoutMs: operations.outboundHttpTimeoutMs, observe: observeOutbound });
  const publicOutboundFetch = createOutboundFetch({ timeoutMs: operations.outboundHttpTimeoutMs, observe: observeOutbound, fetchImpl: createPublicNetworkFetch() });
  const logoutSender = new BackchannelLogoutSender({
    // A dynamically registered client's URL (or one no longer known) reaches public addresses only;
    // an operator's clients may live on the same private network as Gatehouse.
    fetch: async (url, init, delivery) => ((await catalog.client(delivery.clientId))?.dynamic === false ? outboundFetch : publicOutboundFetch)(url, init),
    ...config.protocol.backchannelLogout,
    onOutcome: (delivery, outcome, detail) => {
      const fields = { client_id: delivery.clientId, uri: delivery.uri, attempt: detail.attempt, error: detail.error };
      if (outcome === 'failed') logger.warn(fields, 'back-channel logout could not be delivered; giving up');
      else if (outcome === 'retrying') logger.info(fields, 'back-channel logout delivery failed; will retry');
      else logger.debug(fields, 'back-channel logout delivered');
    },
  });
  const provider = createProvider({
    config,
    accessTokens,
    adapter,
    keys: keyRing,
    catalog,
    users: core.users,
    consents: core.repositories.consents,
    hasher: core.hasher,
    prefetch,
    views,
    fetch: outboundFetch,
    sendLogoutToken: (delivery) => logoutSender.send(delivery),
    clientView: async (clientId) => {
      const record = await catalog.client(clientId);
      const logo = record?.metadata.logo_uri;
      return { name: record?.name ?? clientId, logoUri: typeof logo === 'string' ? logo : undefined, unverified: record?.dynamic ?? false };
    },
  });
  reuseClientInstances(provider, catalog);
  // Sessions ended from the account page or the admin API notify their clients like a logout does.
  core.userAccess.onSessionEnded((accountId, clients) => {
    for (const { clientId, sid } of clients) {
      void (async () => {
        const client = (await provider.Client.find(clientId)) as { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string): Promise<void> } | undefined;
        if (client?.backchannelLogoutUri && sid) await client.backchannelLogout(accountId, sid);
      })().catch((error: unknown) => logger.warn({ err: error, client_id: clientId }, 'back-channel logout for an ended session failed'));
    }
  });
  recordProviderEvents(provider, metrics);
  auditTokenReuse(provider, core.audit);
  auditTokens(provider, core.audit);
  auditLogouts(provider, core.audit);
  flagDatabaseOutages(provider);
  noteDpopRefusals(provider);

  provider.on('server_error', (ctx: { state?: { requestId?: string } }, error: Error) => {
    logger.error({ err: error, request_id: ctx.state?.requestId }, 'oidc-provider server error');
  });

  let shuttingDown = false;
  const health = createHealthRouter({
    isShuttingDown: () => shuttingDown,
    checks: [
      { name: 'database', check: async () => (await database.knex.raw('SELECT 1'), true) },
      { name: 'migrations', check: async () => (await migrationStatus(database.knex)).pending.length === 0 },
      { name: 'keys', check: async () => keyRing.keys.providerJwks.length > 0 },
    ],
  });
  const loginThrottle = new LoginThrottle(core.rateLimits, config.loginThrottle);
  const csrf = new CsrfTokens(config.secrets.cookieKeys);
  const interaction = createInteractionRouter({
    provider,
    users: core.users,
    catalog,
    consents: core.repositories.consents,
    views,
    csrf,
    audit: core.audit,
    logger,
    throttle: loginThrottle,
    twoStep: core.twoStep,
    pendingLogins: new PendingLogins(config.secrets.cookieKeys),
  });
  const account = createAccountRouter({
    provider,
    issuer: config.issuer,
    users: core.users,
    access: core.userAccess,
    twoStep: core.twoStep,
    catalog,
    views,
    csrf,
    throttle: loginThrottle,
    audit: core.audit,
    secureCookies: config.issuer.startsWith('https:'),
  });
  const assets = createAssetsRouter({ logoFile: config.brand.logoFile });
  const routes = adminRoutes({ ...core, listSigningKeys: () => core.signingKeys.listPublished(), auditEvents: core.repositories.audit });
  let openApi: Record<string, unknown> | undefined;
  const openApiDocument = () => (openApi ??= buildOpenApiDocument({ routes, issuer: config.issuer, version: '1.0.0' }));
  const renderDocs = createDocsRenderer(views, openApiDocument);
  const admin = createAdminRouter({
    routes,
    requireScope: createAdminAuth({ verifier: accessTokens, catalog, audit: core.audit, audience: core.adminApi, realm: config.issuer }),
    openApiDocument,
    renderDocs: (ctx) => renderDocs(String(ctx.state.nonce ?? '')),
  });

  // What Koa reports outside a response (a request body cut off or malformed mid-stream, a client gone):
  // a JSON log line like any other, instead of Koa's default plain-text stack on stderr.
  // oidc-provider's Provider is the Koa app itself (its `.app` getter is deprecated).
  const koaApp = provider as unknown as Pick<EventEmitter, 'on'>;
  koaApp.on('error', (error: Error & { status?: number; expose?: boolean }, ctx?: { state?: { requestId?: string } }) => {
    const fields = { err: error, request_id: ctx?.state?.requestId };
    if (error.expose || (error.status !== undefined && error.status < 500)) logger.info(fields, 'request ended by a client error');
    else logger.error(fields, 'request failed outside a response');
  });

  // provider.use() places middleware in front of oidc-provider's own routing.
  // First: everything after reads the host and path this settles.
  provider.use(requestTarget());
  provider.use(httpMetrics(metrics));
  provider.use(requestId({ trustProxy: config.trustProxy }));
  provider.use(accessLog(logger));
  provider.use(securityHeaders({ hsts: config.issuer.startsWith('https:') }));
  const jwksPath = new URL(provider.urlFor('jwks')).pathname;
  const documents = publicDocumentCache({
    documents: [
      { path: jwksPath, route: 'jwks' },
      // oidc-provider serves the same metadata at both well-known paths (OpenID Connect and RFC 8414).
      { path: '/.well-known/openid-configuration', route: 'discovery' },
      { path: '/.well-known/oauth-authorization-server', route: 'discovery' },
    ],
    maxAgeMs: 1000,
    origin: new URL(config.issuer).origin,
  });
  keyRing.onReload(() => documents.invalidate());
  provider.use(documents.middleware);
  provider.use(jwksCaching({ path: jwksPath, maxAgeSeconds: config.keys.jwksMaxAge }));
  const errorPage = async (ctx: Context, status: number, code: string, message: string) => {
    ctx.type = 'html';
    ctx.body = await views.render('error', { nonce: String(ctx.state.nonce ?? '') }, { title: views.messages().errorTitle, message, code, backUrl: '/' });
    ctx.status = status;
  };
  provider.use(errorNormaliser({ logger, renderPage: errorPage }));
  if (config.issuer.startsWith('https:')) provider.use(httpsExpected({ logger, renderPage: errorPage }));
  // Before every layer that recognises an endpoint by its path: each endpoint answers at that path only.
  provider.use(canonicalPaths());
  provider.use(requestLimits({ renderPage: errorPage }));
  provider.use(postAsGet());
  provider.use(postOnly());
  const pathOf = (route: string) => new URL(provider.urlFor(route)).pathname;
  provider.use(
    allowedMethods([
      { path: pathOf('userinfo'), methods: ['GET', 'POST'] },
      { path: pathOf('jwks'), methods: ['GET'] },
      { path: '/.well-known/openid-configuration', methods: ['GET'] },
      { path: '/.well-known/oauth-authorization-server', methods: ['GET'] },
      { path: pathOf('authorization'), methods: ['GET', 'POST'] },
      { path: pathOf('end_session'), methods: ['GET', 'POST'] },
      { path: '/healthz', methods: ['GET'] },
      { path: '/readyz', methods: ['GET'] },
      ...(config.dynamicRegistration === 'off' ? [] : [{ path: REGISTRATION_PATH, methods: ['POST'] }, { path: `${REGISTRATION_PATH}/`, methods: ['GET', 'PUT', 'DELETE'] }]),
    ]),
  );
  provider.use(
    rateLimit({
      config: config.rateLimits,
      store: core.rateLimits,
      audit: core.audit,
      logger,
      renderPage: (ctx, message) => errorPage(ctx, 429, 'too_many_requests', message),
      onRefused: (limiter, ip) => recordRateLimitHit(metrics, limiter, ip),
    }),
  );
  provider.use(
    databaseUnavailable({
      retryAfterSeconds: operations.unavailableRetryAfterSeconds,
      renderPage: async (ctx) => {
        const t = views.messages(ctx.query.ui_locales, (languages) => ctx.acceptsLanguages(languages));
        ctx.type = 'html';
        ctx.body = await views.render(
          'error',
          { nonce: String(ctx.state.nonce ?? ''), t },
          { title: t.errorTitle, message: t.errorUnavailable, code: 'temporarily_unavailable', backUrl: '/account' },
        );
      },
      onUnavailable: (surface) => metrics.dbUnavailable.inc({ surface }),
    }),
  );
  provider.use(corsPolicy({ registeredOrigins: () => catalog.redirectOrigins() }));
  provider.use(
    tokenResourceCheck({
      catalog,
      grantSource: async (grantType, value) => {
        const lookup = grantType === 'authorization_code' ? provider.AuthorizationCode.find(value, { ignoreExpiration: true }) : provider.RefreshToken.find(value, { ignoreExpiration: true });
        const found = (await lookup.catch(() => undefined)) as
          | { clientId: string; consumed?: unknown; isExpired: boolean; resourceIndicators: Set<string> }
          | undefined;
        return found && { clientId: found.clientId, usable: !found.consumed && !found.isExpired, resources: found.resourceIndicators };
      },
      corsOrigin: async (ctx, clientId) => {
        const origin = ctx.get('origin');
        if (!origin || !clientId) return undefined;
        const client = (await provider.Client.find(clientId)) as CorsClient | undefined;
        return client && corsAllowed('token', origin, client) ? origin : undefined;
      },
    }),
  );
  provider.use(oauthErrorConformance({ issuer: config.issuer }));
  provider.use(introspectionSubject({ path: new URL(provider.urlFor('introspection')).pathname }));
  provider.use(authorizationErrorConformance());
  if (config.dynamicRegistration !== 'off') {
    provider.use(registrationResponse({ catalog, issuer: config.issuer }));
    if (config.dynamicRegistration === 'token') {
      provider.use(initialAccessToken({ path: REGISTRATION_PATH, issuer: config.issuer, tokens: core.registrationTokens, audit: core.audit }));
    }
  }
  const codeVerificationPath = new URL(provider.urlFor('code_verification')).pathname;
  provider.use(prefillUserCode({ path: codeVerificationPath }));
  provider.use(restartStaleCodeEntry({ path: codeVerificationPath }));
  provider.use(advertisePollingInterval({ path: new URL(provider.urlFor('device_authorization')).pathname }));
  provider.use(limitDevicePolling({ limiter: core.rateLimits.create('device-polling', { points: 1, durationSeconds: POLLING_WINDOW_SECONDS }) }));
  provider.use(
    limitUserCodeGuessing({
      path: codeVerificationPath,
      limiter: core.rateLimits.create('device-user-code', {
        points: config.protocol.deviceUserCodeAttempts,
        durationSeconds: config.protocol.deviceUserCodeWindowSeconds,
      }),
      views,
    }),
  );
  provider.use(mountedAt(['/healthz', '/readyz'], health.routes()));
  // With METRICS_PORT, /metrics lives on its own listener (server.ts); otherwise here, only behind METRICS_TOKEN.
  if (operations.metrics.port === undefined && operations.metrics.token) {
    provider.use(mountedAt(['/metrics'], createMetricsRouter({ registry: metrics.registry, token: operations.metrics.token }).routes()));
  }
  provider.use(mountedAt(['/assets'], assets.routes()));
  provider.use(mountedAt(['/interaction'], interaction.routes()));
  provider.use(mountedAt(['/account'], account.routes()));
  provider.use(mountedAt(['/admin'], admin.routes()));

  const pruneTimer = setInterval(() => revocations.prune(), 60_000);
  pruneTimer.unref();
  const janitorSchedule = new JanitorSchedule(
    core.janitor,
    operations.janitor.intervalSeconds,
    logger,
    (report) => {
      if (report.skipped) return void metrics.janitorRuns.inc({ result: 'skipped' });
      metrics.janitorRuns.inc({ result: 'completed' });
      metrics.janitorLastSuccess.set(Date.now() / 1000);
      for (const [table, count] of Object.entries(report.deleted)) metrics.janitorDeleted.inc({ table }, count);
    },
    () => metrics.janitorRuns.inc({ result: 'failed' }),
  );
  janitorSchedule.start();
  core.keyMaintenance.start();

  return {
    app: provider,
    provider,
    core,
    metrics,
    logoutSender,
    beginShutdown() {
      shuttingDown = true;
    },
    async close() {
      shuttingDown = true;
      clearInterval(pruneTimer);
      await janitorSchedule.stop();
      logoutSender.stop();
      stopObservingQueries();
      stopCountingStatements();
      keyRing.stop();
      await core.keyMaintenance.stop();
      await feed.stop();
      await core.audit.close();
      await core.rateLimits.close();
    },
  };
}

/** Keys still sealed under an older KEK keep that KEK necessary: say how to finish the rotation. */
function warnAboutOldKeks(core: Core, logger: Logger): void {
  const current = core.encryptor.currentKekId;
  const older = [...new Set(core.keyRing.keys.records.map((k) => k.kekId).filter((id) => id !== current))];
  if (older.length) {
    logger.warn({ kek_ids: older, current_kek_id: current }, 'signing keys are encrypted under an older GATEHOUSE_KEK; run `gatehouse keys rekey`, then remove the old KEK');
  }
}
