// Registering and managing clients: validated metadata, server-generated secrets returned once and
// stored only as keyed hashes (rotation with an optional overlap), the APIs each client may ask
// for, and the admin clients that drive the admin API.
import type { Transactor } from '../db/transactor.js';
import { conflict, invalidInput, notFound } from '../errors/app-error.js';
import type { ApiRecord, ApiRepository } from '../repositories/apis.js';
import type { ClientFilter, ClientMetadata, ClientRecord, ClientRepository } from '../repositories/clients.js';
import type { Page, PageRequest } from '../repositories/keyset-page.js';
import type { OidcModelRepository } from '../repositories/oidc-models.js';
import { STANDARD_SCOPES } from '../schemas/api.js';
import {
  createClientSchema,
  DEVICE_CODE_GRANT,
  rotateSecretSchema,
  SECRET_AUTH_METHODS,
  updateClientSchema,
  type CreateClientInput,
  type ParsedClientInput,
  type RotateSecretInput,
  type UpdateClientInput,
} from '../schemas/client.js';
import { parseInput } from '../schemas/parse.js';
import { isNativeApp } from '../schemas/uris.js';
import { CLI_ACTOR, recordChange, type Actor } from './actor.js';
import { ADMIN_SCOPES } from './admin-api.js';
import type { AuditLog } from './audit-log.js';
import { CLIENT_TOPIC } from './catalog.js';
import type { ChangeFeed } from './change-feed.js';
import { definedOnly, inputOf, mergeSecurityProfile, preservedMetadata } from './client-input.js';
import { generateClientSecret, type ClientSecretHasher } from './client-secrets.js';
import { randomAlphanumeric } from './random-id.js';

/** A client signs users in with the authorization code grant, or a device does (RFC 8628): it may ask for OpenID Connect scopes. */
const signsUsersInWith = (grantTypes: readonly string[]) => grantTypes.includes('authorization_code') || grantTypes.includes(DEVICE_CODE_GRANT);

export const DEFAULT_OIDC_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'];

export interface CreatedClient {
  client: ClientRecord;
  /** The plain secret: shown once, never stored. Absent for clients that do not authenticate with a secret. */
  clientSecret: string | undefined;
}

/** A client's registration as Gatehouse stores it, derived from validated input. */
interface Registration {
  name: string;
  metadata: ClientMetadata;
  apis: ApiRecord[];
  introspectFor: ApiRecord | undefined;
  authMethod: string;
}

const usesSecret = (method: unknown) => (SECRET_AUTH_METHODS as readonly unknown[]).includes(method);

export class ClientService {
  constructor(
    private readonly deps: {
      clients: ClientRepository;
      apis: ApiRepository;
      models: OidcModelRepository;
      transaction: Transactor;
      feed: ChangeFeed;
      hasher: ClientSecretHasher;
      audit: AuditLog;
      adminApi: { identifier: string; ensure(): Promise<unknown> };
    },
  ) {}

  async create(input: CreateClientInput, options: { actor?: Actor } = {}): Promise<CreatedClient> {
    const parsed = parseInput(createClientSchema, input);
    if (parsed.isAdmin) await this.deps.adminApi.ensure();
    const registration = await this.register(parsed);
    const clientId = randomAlphanumeric(22);
    const clientSecret = usesSecret(registration.authMethod) ? generateClientSecret() : undefined;

    const { clients, transaction, feed, hasher } = this.deps;
    const event = await transaction(async (trx) => {
      await clients.create(
        {
          clientId,
          name: registration.name,
          metadata: registration.metadata,
          introspectForApiId: registration.introspectFor?.id ?? null,
          isAdmin: parsed.isAdmin,
          dynamic: false,
          apiIds: registration.apis.map((api) => api.id),
          secretHash: clientSecret ? hasher.hash(clientSecret) : null,
        },
        trx,
      );
      return feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx);
    });
    feed.deliver(event);
    const client = (await clients.find(clientId))!;
    recordChange(this.deps.audit, 'client.created', options.actor ?? CLI_ACTOR, { clientId }, { name: client.name, is_admin: client.isAdmin, apis: client.apis });
    return { client, clientSecret };
  }

  list(): Promise<ClientRecord[]> {
    return this.deps.clients.list();
  }

  listPage(page: PageRequest, filter: ClientFilter = {}): Promise<Page<ClientRecord>> {
    return this.deps.clients.listPage(page, filter);
  }

  async show(clientId: string): Promise<ClientRecord> {
    const client = await this.deps.clients.find(clientId);
    if (!client) throw notFound(`no client with id ${clientId}`);
    return client;
  }

  /** Changes a client; what is not given stays. Giving new APIs without a scope resets the scope to their scopes. */
  async update(clientId: string, input: UpdateClientInput, options: { actor?: Actor } = {}): Promise<ClientRecord> {
    const patch = parseInput(updateClientSchema, input);
    const current = await this.show(clientId);
    if (current.introspectFor && (patch.grantTypes || patch.apis || patch.redirectUris)) {
      throw invalidInput('a resource server client may introspect and do nothing else', [
        { path: 'introspectFor', message: 'a resource server client cannot be given grant types, APIs or redirect URIs' },
      ]);
    }
    const currentMethod = String(current.metadata.token_endpoint_auth_method);
    if (patch.tokenEndpointAuthMethod && !usesSecret(currentMethod)) {
      throw invalidInput('this client does not authenticate with a secret', [
        { path: 'tokenEndpointAuthMethod', message: `cannot change from ${currentMethod}; register a new client instead` },
      ]);
    }
    // An admin client's API list is the admin API and nothing else: another list is refused, not ignored.
    const adminApi = this.deps.adminApi.identifier;
    if (current.isAdmin && patch.apis !== undefined && (patch.apis.length !== 1 || patch.apis[0] !== adminApi)) {
      throw invalidInput('an admin client is for the admin API only', [{ path: 'apis', message: `an admin client has exactly ${adminApi}` }]);
    }
    const before = inputOf(current);
    const merged: CreateClientInput = {
      ...before,
      ...definedOnly({
        name: patch.name,
        redirectUris: patch.redirectUris,
        postLogoutRedirectUris: patch.postLogoutRedirectUris,
        grantTypes: patch.grantTypes,
        apis: patch.apis,
        tokenEndpointAuthMethod: patch.tokenEndpointAuthMethod,
      }),
      // A change of APIs or grant types never widens what the client already had: its scope stays
      // (less what no longer applies), and only an API added now brings its scopes, as at creation.
      scope: patch.scope ?? (patch.apis || patch.grantTypes ? await this.carriedScope(before, patch) : before.scope),
      jwksUri: patch.jwksUri === null ? undefined : (patch.jwksUri ?? before.jwksUri),
      logoUri: patch.logoUri === null ? undefined : (patch.logoUri ?? before.logoUri),
      policyUri: patch.policyUri === null ? undefined : (patch.policyUri ?? before.policyUri),
      tosUri: patch.tosUri === null ? undefined : (patch.tosUri ?? before.tosUri),
      ...mergeSecurityProfile(before, patch),
    };
    const parsed = parseInput(createClientSchema, merged);
    if (parsed.isAdmin) await this.deps.adminApi.ensure();
    // A scope carried over unchanged may name scopes an API has since dropped: those just go.
    const registration = await this.register(parsed, { lenientScope: patch.scope === undefined });
    // Keep what the library and dynamic registration recorded beside Gatehouse's own fields.
    const metadata = { ...preservedMetadata(current.metadata), ...registration.metadata };

    const { clients, transaction, feed } = this.deps;
    const event = await transaction(async (trx) => {
      await clients.update(
        clientId,
        { name: registration.name, metadata, introspectForApiId: registration.introspectFor?.id ?? null, apiIds: registration.apis.map((a) => a.id) },
        trx,
      );
      return feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx);
    });
    feed.deliver(event);
    recordChange(this.deps.audit, 'client.updated', options.actor ?? CLI_ACTOR, { clientId }, { fields: Object.keys(input ?? {}) });
    return (await clients.find(clientId))!;
  }

  /**
   * Issues a new secret, returned once. The current secrets stop working at once, or after
   * `overlapSeconds` so that deployments can switch over without downtime.
   */
  async rotateSecret(clientId: string, input: RotateSecretInput = {}, options: { actor?: Actor } = {}): Promise<CreatedClient> {
    const { overlapSeconds } = parseInput(rotateSecretSchema, input);
    const current = await this.show(clientId);
    if (!usesSecret(current.metadata.token_endpoint_auth_method)) {
      throw conflict(`client ${clientId} does not authenticate with a client secret (${String(current.metadata.token_endpoint_auth_method)})`);
    }
    const clientSecret = generateClientSecret();
    const { clients, transaction, feed, hasher } = this.deps;
    const oldSecretsEnd = new Date(Date.now() + overlapSeconds * 1000);
    const event = await transaction(async (trx) => {
      await clients.expireSecrets(clientId, oldSecretsEnd, trx);
      await clients.addSecret(clientId, hasher.hash(clientSecret), trx);
      return feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx);
    });
    feed.deliver(event);
    recordChange(this.deps.audit, 'client.secret_rotated', options.actor ?? CLI_ACTOR, { clientId }, { overlap_seconds: overlapSeconds });
    return { client: (await clients.find(clientId))!, clientSecret };
  }

  async delete(clientId: string, options: { actor?: Actor } = {}): Promise<void> {
    const { clients, models, transaction, feed } = this.deps;
    const event = await transaction(async (trx) => {
      if (!(await clients.delete(clientId, trx))) throw notFound(`no client with id ${clientId}`);
      return feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx);
    });
    feed.deliver(event);
    // A dynamically registered client's management token goes with it.
    await models.deleteByClient('RegistrationAccessToken', clientId);
    recordChange(this.deps.audit, 'client.deleted', options.actor ?? CLI_ACTOR, { clientId });
  }

  /** Turns validated input into the stored registration: APIs resolved, defaults applied, scopes checked. */
  private async register(parsed: ParsedClientInput, { lenientScope = false } = {}): Promise<Registration> {
    const adminApi = this.deps.adminApi.identifier;
    let apiIdentifiers = parsed.apis;
    if (parsed.isAdmin) {
      if (apiIdentifiers.some((identifier) => identifier !== adminApi)) {
        throw invalidInput('an admin client is for the admin API only', [{ path: 'apis', message: `an admin client may only have ${adminApi}` }]);
      }
      apiIdentifiers = [adminApi];
    } else if (apiIdentifiers.includes(adminApi) || parsed.introspectFor === adminApi) {
      throw invalidInput('only admin clients may use the admin API', [{ path: parsed.introspectFor === adminApi ? 'introspectFor' : 'apis', message: 'the admin API is reserved for admin clients (--admin)' }]);
    }
    const apis = await this.resolveApis(apiIdentifiers, 'apis');
    const [introspectFor] = parsed.introspectFor ? await this.resolveApis([parsed.introspectFor], 'introspectFor') : [];

    const grantTypes =
      parsed.grantTypes ??
      (introspectFor || parsed.isAdmin
        ? parsed.isAdmin ? ['client_credentials'] : []
        : parsed.redirectUris.length ? ['authorization_code', 'refresh_token'] : ['client_credentials']);
    const usesBrowser = grantTypes.includes('authorization_code');
    const signsUsersIn = signsUsersInWith(grantTypes);
    const apiScopes = new Set(apis.flatMap((api) => api.scopes.map((s) => s.name)));
    const defaultScope = parsed.isAdmin
      ? [...ADMIN_SCOPES]
      : [...(signsUsersIn ? DEFAULT_OIDC_SCOPES.filter((s) => s !== 'offline_access' || grantTypes.includes('refresh_token')) : []), ...apiScopes];
    const oidcScopes = new Set<string>(STANDARD_SCOPES);
    const known = (token: string) => apiScopes.has(token) || (signsUsersIn && oidcScopes.has(token));
    let scope = parsed.scope !== undefined ? parsed.scope.split(' ').filter(Boolean) : defaultScope;
    if (lenientScope) scope = scope.filter(known);
    for (const token of scope) {
      if (!known(token)) {
        throw invalidInput(`scope ${token} is not available to this client`, [
          {
            path: 'scope',
            message: oidcScopes.has(token)
              ? `${token} is an OpenID Connect scope: only for clients that sign users in (authorization_code or the device code grant)`
              : `${token} is not a scope of any of the client's APIs`,
          },
        ]);
      }
    }
    const authMethod = parsed.public ? 'none' : (parsed.tokenEndpointAuthMethod ?? 'client_secret_basic');
    if (parsed.tokenExchangeSubjectApis) await this.resolveApis(parsed.tokenExchangeSubjectApis, 'tokenExchangeSubjectApis');
    const fapi = parsed.fapiProfile === '2.0';
    const metadata: ClientMetadata = {
      client_name: parsed.name,
      application_type: isNativeApp(parsed.redirectUris, authMethod === 'none') ? 'native' : 'web',
      redirect_uris: parsed.redirectUris,
      post_logout_redirect_uris: parsed.postLogoutRedirectUris,
      grant_types: grantTypes,
      response_types: usesBrowser ? ['code'] : [],
      token_endpoint_auth_method: authMethod,
      scope: [...new Set(scope)].join(' ') || undefined,
      jwks_uri: parsed.jwksUri,
      logo_uri: parsed.logoUri,
      policy_uri: parsed.policyUri,
      tos_uri: parsed.tosUri,
      jwks: parsed.jwks,
      // FAPI 2.0 implies pushed requests and DPoP-bound tokens.
      require_pushed_authorization_requests: parsed.requirePushedAuthorizationRequests || fapi || undefined,
      dpop_bound_access_tokens: parsed.dpopBoundAccessTokens || fapi || undefined,
      require_signed_request_object: parsed.requireSignedRequestObject || undefined,
      authorization_signed_response_alg: parsed.authorizationSignedResponseAlg,
      backchannel_logout_uri: parsed.backchannelLogoutUri,
      backchannel_logout_session_required: parsed.backchannelLogoutUri ? (parsed.backchannelLogoutSessionRequired ?? false) : undefined,
      fapi_profile: parsed.fapiProfile,
      token_exchange_subject_audiences: parsed.tokenExchangeSubjectApis?.length ? [...new Set(parsed.tokenExchangeSubjectApis)] : undefined,
    };
    for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];
    return { name: parsed.name, metadata, apis, introspectFor, authMethod };
  }

  /**
   * The scope a client keeps when its APIs or grant types change without a scope given: what it had,
   * plus all scopes of an API added now and the OpenID Connect scopes if it now signs users in for the
   * first time. (Taking the defaults instead turned an admin:read client into an admin:write one.)
   */
  private async carriedScope(before: CreateClientInput, patch: { apis?: string[]; grantTypes?: string[] }): Promise<string | undefined> {
    if (before.scope === undefined) return undefined;
    const kept = before.scope.split(' ').filter(Boolean);
    const added = patch.apis ? await this.resolveApis(patch.apis.filter((api) => !(before.apis ?? []).includes(api)), 'apis') : [];
    const nowSigningIn = patch.grantTypes !== undefined && signsUsersInWith(patch.grantTypes) && !signsUsersInWith(before.grantTypes ?? []);
    const oidc = nowSigningIn ? DEFAULT_OIDC_SCOPES.filter((s) => s !== 'offline_access' || patch.grantTypes!.includes('refresh_token')) : [];
    return [...new Set([...kept, ...oidc, ...added.flatMap((api) => api.scopes.map((scope) => scope.name))])].join(' ');
  }

  private async resolveApis(identifiers: string[], field: string): Promise<ApiRecord[]> {
    const found: ApiRecord[] = [];
    for (const identifier of new Set(identifiers)) {
      const api = await this.deps.apis.findByIdentifier(identifier);
      if (!api) throw invalidInput(`no API with identifier ${identifier}`, [{ path: field, message: `unknown API ${identifier}` }]);
      found.push(api);
    }
    return found;
  }
}

