// The roles and user_roles tables: named roles, and which users hold them.
import type { Knex } from 'knex';

import { escapeLike, isUuid } from './apis.js';
import { applyKeyset, toPage, type Page, type PageRequest } from './keyset-page.js';

export interface RoleRecord {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface RoleRow {
  id: string;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface RestrictedScope {
  api: string;
  scope: string;
}

export class RoleRepository {
  constructor(private readonly knex: Knex) {}

  async create(role: { name: string; description: string | null }, trx: Knex | Knex.Transaction = this.knex): Promise<RoleRecord> {
    const [row] = (await trx('roles').insert({ name: role.name, description: role.description }).returning('*')) as RoleRow[];
    return toRecord(row!);
  }

  async findByName(name: string, trx: Knex | Knex.Transaction = this.knex): Promise<RoleRecord | undefined> {
    const row = await trx<RoleRow>('roles').where({ name }).first();
    return row && toRecord(row);
  }

  async findById(id: string): Promise<RoleRecord | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.knex<RoleRow>('roles').where({ id }).first();
    return row && toRecord(row);
  }

  async findByNames(names: readonly string[], trx: Knex | Knex.Transaction = this.knex): Promise<RoleRecord[]> {
    if (!names.length) return [];
    const rows = await trx<RoleRow>('roles').whereIn('name', [...names]);
    return rows.map(toRecord);
  }

  async listPage(page: PageRequest, filter: { q?: string | undefined } = {}): Promise<Page<RoleRecord>> {
    const query = this.knex('roles').select('roles.*');
    if (filter.q) query.whereILike('name', `%${escapeLike(filter.q)}%`);
    applyKeyset(this.knex, query, { createdAt: 'roles.created_at', id: 'roles.id' }, page);
    const rows = (await query) as (RoleRow & Record<string, unknown>)[];
    return toPage(rows, page, (row) => row.id, (kept) => kept.map(toRecord));
  }

  async update(id: string, changes: { description?: string | null }, trx: Knex | Knex.Transaction = this.knex): Promise<void> {
    await trx('roles').where({ id }).update({ ...changes, updated_at: trx.fn.now() });
  }

  async delete(id: string, trx: Knex | Knex.Transaction = this.knex): Promise<boolean> {
    return (await trx('roles').where({ id }).delete()) > 0;
  }

  /** The API scopes this role restricts (a role that restricts scopes cannot be deleted). */
  async scopesRestrictedBy(roleId: string, trx: Knex | Knex.Transaction = this.knex): Promise<RestrictedScope[]> {
    const rows = (await trx('api_scope_roles as sr')
      .join('apis as a', 'a.id', 'sr.api_id')
      .where('sr.role_id', roleId)
      .orderBy(['a.identifier', 'sr.scope_name'])
      .select('a.identifier', 'sr.scope_name')) as { identifier: string; scope_name: string }[];
    return rows.map((r) => ({ api: r.identifier, scope: r.scope_name }));
  }

  /** Role names of one user, sorted. */
  async namesForUser(userId: string): Promise<string[]> {
    if (!isUuid(userId)) return [];
    const rows = (await this.knex('user_roles as ur')
      .join('roles as r', 'r.id', 'ur.role_id')
      .where('ur.user_id', userId)
      .orderBy('r.name')
      .select('r.name')) as { name: string }[];
    return rows.map((r) => r.name);
  }

  async namesForUsers(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const byUser = new Map<string, string[]>();
    if (!userIds.length) return byUser;
    const rows = (await this.knex('user_roles as ur')
      .join('roles as r', 'r.id', 'ur.role_id')
      .whereIn('ur.user_id', [...userIds])
      .orderBy('r.name')
      .select('ur.user_id', 'r.name')) as { user_id: string; name: string }[];
    for (const row of rows) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row.name]);
    return byUser;
  }

  async setUserRoles(userId: string, roleIds: readonly string[], trx: Knex.Transaction): Promise<void> {
    await trx('user_roles').where({ user_id: userId }).delete();
    if (roleIds.length) await trx('user_roles').insert(roleIds.map((roleId) => ({ user_id: userId, role_id: roleId })));
  }

  async addUserRole(userId: string, roleId: string, trx: Knex | Knex.Transaction = this.knex): Promise<void> {
    await trx('user_roles').insert({ user_id: userId, role_id: roleId }).onConflict(['user_id', 'role_id']).ignore();
  }

  async removeUserRole(userId: string, roleId: string, trx: Knex | Knex.Transaction = this.knex): Promise<boolean> {
    return (await trx('user_roles').where({ user_id: userId, role_id: roleId }).delete()) > 0;
  }
}

function toRecord(row: RoleRow): RoleRecord {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at, updatedAt: row.updated_at };
}
