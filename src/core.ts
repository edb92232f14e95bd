// The service graph shared by the server and the CLI: repositories over one database, and the
// services built on them. No HTTP here; app.ts adds that.
import type { Config } from './config/config.js';
import type { Database } from './db/database.js';
import { listenForNotifications } from './db/notification-listener.js';
import { createTransactor } from './db/transactor.js';
import { ApiRepository } from './repositories/apis.js';
import { AuditEventRepository } from './repositories/audit-events.js';
import { CHANGE_CHANNEL, ChangeEventRepository } from './repositories/change-events.js';
import { ClientRepository } from './repositories/clients.js';
import { ServerSettingsRepository } from './repositories/server-settings.js';
import { ConsentRepository } from './repositories/consents.js';
import { HousekeepingRepository } from './repositories/housekeeping.js';
import { OidcModelRepository } from './repositories/oidc-models.js';
import { RateLimitStore } from './repositories/rate-limit-store.js';
import { RegistrationTokenRepository } from './repositories/registration-tokens.js';
import { RoleRepository } from './repositories/roles.js';
import { SigningKeyRepository } from './repositories/signing-keys.js';
import { TokenRevocationRepository } from './repositories/token-revocations.js';
import { TwoStepRepository } from './repositories/two-step.js';
import { UserRepository } from './repositories/users.js';
import { adminApiIdentifier } from './services/admin-api.js';
import { ApiService } from './services/apis.js';
import { AuditLog } from './services/audit-log.js';
import { Catalog } from './services/catalog.js';
import { ChangeFeed } from './services/change-feed.js';
import { ClientSecretHasher } from './services/client-secrets.js';
import { ClientService } from './services/clients.js';
import { FailureState } from './services/failure-state.js';
import { GrantRevoker } from './services/grant-revocation.js';
import { Janitor } from './services/janitor.js';
import { KeyEncryptor } from './services/key-encryption.js';
import { retentionSeconds } from './services/key-lifecycle.js';
import { KeyMaintenance } from './services/key-maintenance.js';
import { KeyRing } from './services/key-ring.js';
import { KeyRotation } from './services/key-rotation.js';
import type { Logger } from './services/logger.js';
import { PasswordHasher } from './services/passwords.js';
import { RegisteredClientStore } from './services/registered-clients.js';
import { RegistrationTokenService } from './services/registration-tokens.js';
import { Rekeying } from './services/rekey.js';
import { RevocationList } from './services/revocation-list.js';
import { RoleService } from './services/roles.js';
import { ID_TOKEN_ALG, SigningKeyService } from './services/signing-keys.js';
import { TokenIdSealer } from './services/token-ids.js';
import { TwoStepService } from './services/two-step.js';
import { UserAccessService } from './services/user-access.js';
import { UserService } from './services/users.js';

export interface Core {
  config: Config;
  database: Database;
  logger: Logger;
  repositories: {
    models: OidcModelRepository;
    apis: ApiRepository;
    clients: ClientRepository;
    users: UserRepository;
    consents: ConsentRepository;
    keys: SigningKeyRepository;
    revocations: TokenRevocationRepository;
    changes: ChangeEventRepository;
    audit: AuditEventRepository;
    roles: RoleRepository;
    registrationTokens: RegistrationTokenRepository;
    twoStep: TwoStepRepository;
    serverSettings: ServerSettingsRepository;
  };
  feed: ChangeFeed;
  audit: AuditLog;
  rateLimits: RateLimitStore;
  catalog: Catalog;
  revocations: RevocationList;
  grants: GrantRevoker;
  hasher: ClientSecretHasher;
  passwords: PasswordHasher;
  encryptor: KeyEncryptor;
  tokenIds: TokenIdSealer;
  signingKeys: SigningKeyService;
  keyRing: KeyRing;
  keyRotation: KeyRotation;
  keyMaintenance: KeyMaintenance;
  rekeying: Rekeying;
  /** The signing algorithms in use: ID tokens, the default access-token alg, every API's own. */
  algsInUse(): Promise<string[]>;
  apis: ApiService;
  clients: ClientService;
  users: UserService;
  /** TOTP enrolment and verification, recovery codes. */
  twoStep: TwoStepService;
  janitor: Janitor;
  roles: RoleService;
  userAccess: UserAccessService;
  registrationTokens: RegistrationTokenService;
  registeredClients: RegisteredClientStore;
  /** The identifier of the admin API (`${ISSUER}/admin`). */
  adminApi: string;
}

export function createCore({ config, database, logger }: { config: Config; database: Database; logger: Logger }): Core {
  const { knex } = database;
  const repositories = {
    models: new OidcModelRepository(knex),
    apis: new ApiRepository(knex),
    clients: new ClientRepository(knex),
    users: new UserRepository(knex),
    consents: new ConsentRepository(knex),
    keys: new SigningKeyRepository(knex),
    revocations: new TokenRevocationRepository(knex),
    changes: new ChangeEventRepository(knex),
    audit: new AuditEventRepository(knex),
    roles: new RoleRepository(knex),
    registrationTokens: new RegistrationTokenRepository(knex),
    twoStep: new TwoStepRepository(knex),
    serverSettings: new ServerSettingsRepository(knex),
  };
  const transaction = createTransactor(knex);
  const feed = new ChangeFeed(repositories.changes, logger, {
    pollMs: config.changeFeedPollMs,
    // LISTEN makes propagation immediate on a Postgres server; polling alone serves the embedded database.
    // CHANGE_FEED_LISTEN=false (PgBouncer in transaction mode) leaves polling alone; DATABASE_LISTEN_URL may
    // point LISTEN at the server directly while the pool goes through the bouncer.
    listen:
      database.kind === 'postgres' && config.operations.changeFeedListen
        ? (handlers) =>
            listenForNotifications(config.operations.databaseListenUrl ?? database.connection, CHANGE_CHANNEL, handlers, {
              connectTimeoutMs: config.db.connectTimeoutMs,
            })
        : undefined,
  });
  const catalog = new Catalog(repositories.clients, repositories.apis, feed);
  const revocations = new RevocationList(repositories.revocations, feed);
  const hasher = new ClientSecretHasher(config.secrets.pepper);
  const passwords = new PasswordHasher(config.argon2, config.passwordHashConcurrency);
  const encryptor = new KeyEncryptor(config.secrets.keks);
  const tokenIds = new TokenIdSealer(encryptor, logger);
  const signingKeys = new SigningKeyService(repositories.keys, encryptor);
  const algsInUse = async () => [...new Set([ID_TOKEN_ALG, config.accessTokenAlg, ...(await repositories.apis.list()).map((api) => api.signingAlg)])];
  const audit = new AuditLog(repositories.audit, logger);
  const keyRotation = new KeyRotation({
    audit,
    repository: repositories.keys,
    keys: signingKeys,
    feed,
    policy: config.keys,
    algsInUse,
    // A key signs ID tokens (a client may ask for any algorithm; they come back as hints while their session lives)
    // and the access tokens of the APIs using its algorithm.
    retention: async (alg) =>
      retentionSeconds(
        {
          idToken: config.ttl.idToken,
          session: config.ttl.session,
          accessToken: alg === config.accessTokenAlg ? config.ttl.accessToken : 0,
          apiAccessTokens: (await repositories.apis.list()).filter((api) => api.signingAlg === alg).map((api) => api.accessTokenTtl),
        },
        config.keys.retentionMargin,
      ),
  });
  const grants = new GrantRevoker(repositories.models, revocations);
  const adminApi = adminApiIdentifier(config.issuer);
  const apis = new ApiService({
    apis: repositories.apis,
    clients: repositories.clients,
    roles: repositories.roles,
    transaction,
    feed,
    keys: signingKeys,
    audit,
    defaults: { accessTokenTtl: config.ttl.accessToken, signingAlg: config.accessTokenAlg },
    adminIdentifier: adminApi,
  });
  const twoStep = new TwoStepService({ repository: repositories.twoStep, encryptor, hasher, issuerName: config.brand.name });
  const userAccess = new UserAccessService({ models: repositories.models, grants, consents: repositories.consents, audit });
  const rateLimitStoreState = new FailureState({
    logger,
    level: 'warn',
    failing: 'rate-limit store unavailable; using the per-process fallback limiter',
    recovered: 'rate-limit store available again',
    fields: { backend: config.redisUrl ? 'redis' : 'postgres' },
  });
  return {
    config,
    database,
    logger,
    repositories,
    feed,
    audit,
    rateLimits: new RateLimitStore({
      redisUrl: config.redisUrl,
      keyPrefix: config.redisKeyPrefix,
      // The embedded database has one process: counters in memory are shared by everything there is.
      knex: database.kind === 'postgres' ? knex : undefined,
      // Once when the store fails and once when it is back, not at every reconnect attempt.
      onStoreError: (_backend, error) => rateLimitStoreState.failed(error),
      onStoreRecovered: () => rateLimitStoreState.succeeded(),
    }),
    catalog,
    revocations,
    grants,
    hasher,
    passwords,
    encryptor,
    tokenIds,
    signingKeys,
    keyRing: new KeyRing(signingKeys, feed, logger),
    keyRotation,
    keyMaintenance: new KeyMaintenance(keyRotation, logger),
    rekeying: new Rekeying({ encryptor, signingKeys: repositories.keys, models: repositories.models, tokenIds, feed, stores: [twoStep] }),
    algsInUse,
    apis,
    clients: new ClientService({
      clients: repositories.clients,
      apis: repositories.apis,
      models: repositories.models,
      transaction,
      feed,
      hasher,
      audit,
      adminApi: { identifier: adminApi, ensure: () => apis.ensureAdminApi() },
    }),
    users: new UserService({ users: repositories.users, passwords, roles: repositories.roles, transaction, access: userAccess, audit, serviceNames: [config.brand.name, 'gatehouse'] }),
    roles: new RoleService({ roles: repositories.roles, audit }),
    twoStep,
    userAccess,
    registrationTokens: new RegistrationTokenService({ tokens: repositories.registrationTokens, hasher, audit }),
    registeredClients: new RegisteredClientStore({ clients: repositories.clients, apis: repositories.apis, transaction, feed, hasher, audit }),
    adminApi,
    janitor: new Janitor(new HousekeepingRepository(knex), { ...config.operations.janitor, serialise: database.kind === 'postgres' }),
  };
}
