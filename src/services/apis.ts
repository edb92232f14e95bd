// Registering and managing APIs (resource servers) and their scopes, with role restrictions, and
// telling every instance about it. The admin API entity is Gatehouse's own and cannot be changed.
import type { Transaction, Transactor } from '../db/transactor.js';
import { conflict, invalidInput, notFound } from '../errors/app-error.js';
import type { ApiFilter, ApiRecord, ApiRepository, NewApiScope } from '../repositories/apis.js';
import type { ClientRepository } from '../repositories/clients.js';
import type { Page, PageRequest } from '../repositories/keyset-page.js';
import type { RoleRepository } from '../repositories/roles.js';
import {
  createApiSchema,
  putScopeSchema,
  scopeNameSchema,
  updateApiSchema,
  type CreateApiInput,
  type PutScopeInput,
  type UpdateApiInput,
} from '../schemas/api.js';
import { parseInput } from '../schemas/parse.js';
import { CLI_ACTOR, recordChange, type Actor } from './actor.js';
import { ADMIN_READ, ADMIN_WRITE } from './admin-api.js';
import type { AuditLog } from './audit-log.js';
import { API_TOPIC, CLIENT_TOPIC } from './catalog.js';
import type { ChangeFeed } from './change-feed.js';
import { SIGNING_KEY_TOPIC } from './key-ring.js';
import type { SigningKeyService } from './signing-keys.js';

const UNIQUE_VIOLATION = '23505';

export class ApiService {
  constructor(
    private readonly deps: {
      apis: ApiRepository;
      clients: ClientRepository;
      roles: RoleRepository;
      transaction: Transactor;
      feed: ChangeFeed;
      keys: SigningKeyService;
      audit: AuditLog;
      defaults: { accessTokenTtl: number; signingAlg: string };
      adminIdentifier: string;
    },
  ) {}

  async create(input: CreateApiInput, options: { actor?: Actor } = {}): Promise<ApiRecord> {
    const parsed = parseInput(createApiSchema, input);
    if (parsed.identifier === this.deps.adminIdentifier) throw conflict(`${parsed.identifier} is Gatehouse's own admin API`);
    const api = await this.insert({
      identifier: parsed.identifier,
      name: parsed.name ?? parsed.identifier,
      accessTokenTtl: parsed.accessTokenTtl,
      signingAlg: parsed.signingAlg,
      rolesClaim: parsed.rolesClaim,
      allowDynamicClients: parsed.allowDynamicClients,
      scopes: parsed.scopes.map((s, index) => ({ name: s.name, description: s.description ?? null, roles: s.roles ?? [], path: `scopes.${index}.roles` })),
    });
    recordChange(this.deps.audit, 'admin.api.created', options.actor ?? CLI_ACTOR, {}, { api: api.identifier, scopes: api.scopes.map((s) => s.name) });
    return api;
  }

  /** Creates the admin API for this issuer if it is missing, and any of its scopes that are missing. Idempotent. */
  async ensureAdminApi(): Promise<ApiRecord> {
    const identifier = this.deps.adminIdentifier;
    const scopes = [
      { name: ADMIN_READ, description: 'Read clients, APIs, users, roles and keys', roles: [], path: 'scopes' },
      { name: ADMIN_WRITE, description: 'Create, change and delete clients, APIs, users and roles', roles: [], path: 'scopes' },
    ];
    const existing = await this.deps.apis.findByIdentifier(identifier);
    if (!existing) {
      try {
        return await this.insert({ identifier, name: 'Gatehouse Admin API', accessTokenTtl: 300, signingAlg: undefined, rolesClaim: false, allowDynamicClients: false, scopes });
      } catch (error) {
        // Another instance (or the CLI) created it at the same moment.
        if (!(error instanceof Error && error.message.includes('already exists'))) throw error;
        return (await this.deps.apis.findByIdentifier(identifier))!;
      }
    }
    const missing = scopes.filter((s) => !existing.scopes.some((e) => e.name === s.name));
    if (!missing.length) return existing;
    await this.change(existing, async (trx) => {
      for (const scope of missing) await this.deps.apis.putScope(existing.id, { name: scope.name, description: scope.description, roleIds: [] }, trx);
    });
    return (await this.deps.apis.findByIdentifier(identifier))!;
  }

  list(): Promise<ApiRecord[]> {
    return this.deps.apis.list();
  }

  listPage(page: PageRequest, filter: ApiFilter = {}): Promise<Page<ApiRecord>> {
    return this.deps.apis.listPage(page, filter);
  }

  /** An API by its id or its identifier. */
  async show(ref: string): Promise<ApiRecord> {
    const api = (await this.deps.apis.findById(ref)) ?? (await this.deps.apis.findByIdentifier(ref));
    if (!api) throw notFound(`no API ${ref}`);
    return api;
  }

  async update(ref: string, input: UpdateApiInput, options: { actor?: Actor } = {}): Promise<ApiRecord> {
    const parsed = parseInput(updateApiSchema, input);
    const api = this.modifiable(await this.show(ref));
    if (parsed.signingAlg) await this.ensureKeys(parsed.signingAlg);
    await this.change(api, (trx) => this.deps.apis.update(api.id, parsed, trx));
    recordChange(this.deps.audit, 'admin.api.updated', options.actor ?? CLI_ACTOR, {}, { api: api.identifier, fields: Object.keys(input ?? {}) });
    return this.show(api.id);
  }

  /** Creates or replaces one scope of an API. */
  async putScope(ref: string, name: string, input: PutScopeInput, options: { actor?: Actor } = {}): Promise<ApiRecord> {
    const scopeName = parseInput(scopeNameSchema, name, 'scope');
    const parsed = parseInput(putScopeSchema, input);
    const api = this.modifiable(await this.show(ref));
    const roleIds = await this.roleIds(parsed.roles ?? [], 'roles');
    await this.change(api, (trx) => this.deps.apis.putScope(api.id, { name: scopeName, description: parsed.description ?? null, roleIds }, trx));
    recordChange(this.deps.audit, 'admin.api.scope_set', options.actor ?? CLI_ACTOR, {}, { api: api.identifier, scope: scopeName, roles: parsed.roles ?? [] });
    return this.show(api.id);
  }

  async deleteScope(ref: string, name: string, options: { actor?: Actor } = {}): Promise<ApiRecord> {
    const api = this.modifiable(await this.show(ref));
    if (!api.scopes.some((s) => s.name === name)) throw notFound(`API ${api.identifier} has no scope ${name}`);
    await this.change(api, (trx) => this.deps.apis.deleteScope(api.id, name, trx));
    recordChange(this.deps.audit, 'admin.api.scope_deleted', options.actor ?? CLI_ACTOR, {}, { api: api.identifier, scope: name });
    return this.show(api.id);
  }

  async delete(ref: string, options: { actor?: Actor } = {}): Promise<void> {
    const { apis, clients, transaction, feed } = this.deps;
    const api = this.modifiable(await this.show(ref));
    const events = await transaction(async (trx) => {
      // Clients that named this API change too (their API list or introspection right goes).
      const affected = await clients.clientIdsUsingApi(api.id, trx);
      // Of concurrent deletes exactly one finds the row: the others answer as for an API that is gone.
      if (!(await apis.deleteById(api.id, trx))) throw notFound(`no API ${ref}`);
      return Promise.all([
        feed.publish({ topic: API_TOPIC, key: api.identifier, expiresAt: null }, trx),
        ...affected.map((clientId) => feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx)),
      ]);
    });
    for (const event of events) feed.deliver(event);
    recordChange(this.deps.audit, 'admin.api.deleted', options.actor ?? CLI_ACTOR, {}, { api: api.identifier });
  }

  private async insert(api: {
    identifier: string;
    name: string;
    accessTokenTtl: number | undefined;
    signingAlg: string | undefined;
    rolesClaim: boolean;
    allowDynamicClients: boolean;
    scopes: { name: string; description: string | null; roles: string[]; path: string }[];
  }): Promise<ApiRecord> {
    const { apis, transaction, feed, defaults } = this.deps;
    const signingAlg = api.signingAlg ?? defaults.signingAlg;
    const scopes: NewApiScope[] = [];
    for (const scope of api.scopes) scopes.push({ name: scope.name, description: scope.description, roleIds: await this.roleIds(scope.roles, scope.path) });
    // Every instance must be able to sign for this API before its first token is asked for.
    await this.ensureKeys(signingAlg);
    try {
      const [id, event] = await transaction(async (trx) => {
        const created = await apis.create(
          { identifier: api.identifier, name: api.name, accessTokenTtl: api.accessTokenTtl ?? defaults.accessTokenTtl, signingAlg, rolesClaim: api.rolesClaim, allowDynamicClients: api.allowDynamicClients, scopes },
          trx,
        );
        return [created, await feed.publish({ topic: API_TOPIC, key: api.identifier, expiresAt: null }, trx)] as const;
      });
      feed.deliver(event);
      return (await apis.findById(id))!;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw conflict(`an API with identifier ${api.identifier} already exists`);
      }
      throw error;
    }
  }

  private async ensureKeys(signingAlg: string): Promise<void> {
    const createdKeys = await this.deps.keys.ensureCurrentKeys([signingAlg]);
    if (createdKeys.length) await this.deps.feed.publish({ topic: SIGNING_KEY_TOPIC, key: createdKeys.join(','), expiresAt: null });
  }

  private async roleIds(names: string[], path: string): Promise<string[]> {
    const found = await this.deps.roles.findByNames(names);
    const unknown = names.filter((name) => !found.some((r) => r.name === name));
    if (unknown.length) throw invalidInput(`unknown role(s): ${unknown.join(', ')}`, [{ path, message: `unknown role(s): ${unknown.join(', ')}; create them first` }]);
    return names.map((name) => found.find((r) => r.name === name)!.id);
  }

  private modifiable(api: ApiRecord): ApiRecord {
    if (api.identifier === this.deps.adminIdentifier) throw conflict(`${api.identifier} is Gatehouse's own admin API and cannot be changed`);
    return api;
  }

  private async change(api: ApiRecord, work: (trx: Transaction) => Promise<unknown>): Promise<void> {
    const { transaction, feed } = this.deps;
    const event = await transaction(async (trx) => {
      await work(trx);
      return feed.publish({ topic: API_TOPIC, key: api.identifier, expiresAt: null }, trx);
    });
    feed.deliver(event);
  }
}
