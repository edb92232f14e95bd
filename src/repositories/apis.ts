// The apis, api_scopes and api_scope_roles tables: the resource servers Gatehouse issues access
// tokens for, their scopes, and the roles a restricted scope is reserved for.
import type { Knex } from 'knex';

import { applyKeyset, toPage, type Page, type PageRequest } from './keyset-page.js';

export interface ApiScope {
  name: string;
  description: string | null;
  /** Role names; empty means any user may be granted the scope. */
  roles: string[];
}

export interface ApiRecord {
  id: string;
  identifier: string;
  name: string;
  accessTokenTtl: number;
  signingAlg: string;
  rolesClaim: boolean;
  allowDynamicClients: boolean;
  scopes: ApiScope[];
  createdAt: Date;
  updatedAt: Date;
}

export interface NewApi {
  identifier: string;
  name: string;
  accessTokenTtl: number;
  signingAlg: string;
  rolesClaim: boolean;
  allowDynamicClients: boolean;
  scopes: NewApiScope[];
}

export interface NewApiScope {
  name: string;
  description: string | null;
  roleIds: string[];
}

export type ApiChanges = Partial<Pick<NewApi, 'name' | 'accessTokenTtl' | 'signingAlg' | 'rolesClaim' | 'allowDynamicClients'>>;

export interface ApiFilter {
  /** Substring of the identifier or name, case-insensitive. */
  q?: string | undefined;
  allowDynamicClients?: boolean | undefined;
}

interface ApiRow {
  id: string;
  identifier: string;
  name: string;
  access_token_ttl: number;
  signing_alg: string;
  roles_claim: boolean;
  allow_dynamic_clients: boolean;
  created_at: Date;
  updated_at: Date;
}

export class ApiRepository {
  constructor(private readonly knex: Knex) {}

  async create(api: NewApi, trx: Knex.Transaction): Promise<string> {
    const [row] = (await trx('apis')
      .insert({
        identifier: api.identifier,
        name: api.name,
        access_token_ttl: api.accessTokenTtl,
        signing_alg: api.signingAlg,
        roles_claim: api.rolesClaim,
        allow_dynamic_clients: api.allowDynamicClients,
      })
      .returning('id')) as { id: string }[];
    for (const scope of api.scopes) await this.putScope(row!.id, scope, trx);
    return row!.id;
  }

  async update(id: string, changes: ApiChanges, trx: Knex.Transaction): Promise<void> {
    const update: Record<string, unknown> = { updated_at: trx.fn.now() };
    if (changes.name !== undefined) update.name = changes.name;
    if (changes.accessTokenTtl !== undefined) update.access_token_ttl = changes.accessTokenTtl;
    if (changes.signingAlg !== undefined) update.signing_alg = changes.signingAlg;
    if (changes.rolesClaim !== undefined) update.roles_claim = changes.rolesClaim;
    if (changes.allowDynamicClients !== undefined) update.allow_dynamic_clients = changes.allowDynamicClients;
    await trx('apis').where({ id }).update(update);
  }

  /** Creates or replaces one scope (its description and role restriction). */
  async putScope(apiId: string, scope: NewApiScope, trx: Knex.Transaction): Promise<void> {
    await trx('api_scopes')
      .insert({ api_id: apiId, name: scope.name, description: scope.description })
      .onConflict(['api_id', 'name'])
      .merge(['description']);
    await trx('api_scope_roles').where({ api_id: apiId, scope_name: scope.name }).delete();
    if (scope.roleIds.length) {
      await trx('api_scope_roles').insert(scope.roleIds.map((roleId) => ({ api_id: apiId, scope_name: scope.name, role_id: roleId })));
    }
    await trx('apis').where({ id: apiId }).update({ updated_at: trx.fn.now() });
  }

  async deleteScope(apiId: string, name: string, trx: Knex.Transaction): Promise<boolean> {
    const deleted = await trx('api_scopes').where({ api_id: apiId, name }).delete();
    if (deleted) await trx('apis').where({ id: apiId }).update({ updated_at: trx.fn.now() });
    return deleted > 0;
  }

  async findByIdentifier(identifier: string, trx: Knex | Knex.Transaction = this.knex): Promise<ApiRecord | undefined> {
    const row = await trx<ApiRow>('apis').where({ identifier }).first();
    return row ? (await this.hydrate([row], trx))[0] : undefined;
  }

  async findById(id: string, trx: Knex | Knex.Transaction = this.knex): Promise<ApiRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await trx<ApiRow>('apis').where({ id }).first();
    return row ? (await this.hydrate([row], trx))[0] : undefined;
  }

  async list(): Promise<ApiRecord[]> {
    return this.hydrate(await this.knex<ApiRow>('apis').orderBy('identifier'));
  }

  async listPage(page: PageRequest, filter: ApiFilter = {}): Promise<Page<ApiRecord>> {
    const query = this.knex('apis').select('apis.*');
    if (filter.q) {
      const like = `%${escapeLike(filter.q)}%`;
      query.where((q) => q.whereILike('identifier', like).orWhereILike('name', like));
    }
    if (filter.allowDynamicClients !== undefined) query.where('allow_dynamic_clients', filter.allowDynamicClients);
    applyKeyset(this.knex, query, { createdAt: 'apis.created_at', id: 'apis.id' }, page);
    const rows = (await query) as (ApiRow & Record<string, unknown>)[];
    return toPage(rows, page, (row) => row.id, (kept) => this.hydrate(kept));
  }

  /** The APIs dynamically registered clients may use, oldest first. */
  async listOpenToDynamicClients(): Promise<ApiRecord[]> {
    return this.hydrate(await this.knex<ApiRow>('apis').where({ allow_dynamic_clients: true }).orderBy('created_at').orderBy('id'));
  }

  async deleteById(id: string, trx: Knex.Transaction): Promise<boolean> {
    return (await trx('apis').where({ id }).delete()) > 0;
  }

  private async hydrate(rows: ApiRow[], db: Knex | Knex.Transaction = this.knex): Promise<ApiRecord[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const scopeRows = (await db('api_scopes').whereIn('api_id', ids).orderBy('name')) as {
      api_id: string;
      name: string;
      description: string | null;
    }[];
    const roleRows = (await db('api_scope_roles as sr')
      .join('roles as r', 'r.id', 'sr.role_id')
      .whereIn('sr.api_id', ids)
      .orderBy('r.name')
      .select('sr.api_id', 'sr.scope_name', 'r.name')) as { api_id: string; scope_name: string; name: string }[];
    const rolesOf = new Map<string, string[]>();
    for (const r of roleRows) {
      const key = `${r.api_id} ${r.scope_name}`;
      rolesOf.set(key, [...(rolesOf.get(key) ?? []), r.name]);
    }
    const scopesOf = new Map<string, ApiScope[]>();
    for (const s of scopeRows) {
      const scope = { name: s.name, description: s.description, roles: rolesOf.get(`${s.api_id} ${s.name}`) ?? [] };
      scopesOf.set(s.api_id, [...(scopesOf.get(s.api_id) ?? []), scope]);
    }
    return rows.map((row) => toRecord(row, scopesOf.get(row.id) ?? []));
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** Makes a user-supplied string match literally inside LIKE. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toRecord(row: ApiRow, scopes: ApiScope[]): ApiRecord {
  return {
    id: row.id,
    identifier: row.identifier,
    name: row.name,
    accessTokenTtl: row.access_token_ttl,
    signingAlg: row.signing_alg,
    rolesClaim: row.roles_claim,
    allowDynamicClients: row.allow_dynamic_clients,
    scopes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
