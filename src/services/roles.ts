// Roles: named groups of users that API scopes can be restricted to. A role that restricts a
// scope cannot be deleted, so removing a role never opens a scope up to everyone.
import { conflict, notFound } from '../errors/app-error.js';
import type { Page, PageRequest } from '../repositories/keyset-page.js';
import type { RoleRecord, RoleRepository } from '../repositories/roles.js';
import { parseInput } from '../schemas/parse.js';
import { createRoleSchema, roleNameSchema, updateRoleSchema, type CreateRoleInput, type UpdateRoleInput } from '../schemas/role.js';
import { CLI_ACTOR, recordChange, type Actor } from './actor.js';
import type { AuditLog } from './audit-log.js';

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

export class RoleService {
  constructor(private readonly deps: { roles: RoleRepository; audit: AuditLog }) {}

  async create(input: CreateRoleInput, options: { actor?: Actor } = {}): Promise<RoleRecord> {
    const parsed = parseInput(createRoleSchema, input);
    try {
      const role = await this.deps.roles.create({ name: parsed.name, description: parsed.description ?? null });
      recordChange(this.deps.audit, 'admin.role.created', options.actor ?? CLI_ACTOR, {}, { role: role.name });
      return role;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw conflict(`a role named ${parsed.name} already exists`);
      throw error;
    }
  }

  listPage(page: PageRequest, filter: { q?: string | undefined } = {}): Promise<Page<RoleRecord>> {
    return this.deps.roles.listPage(page, filter);
  }

  async show(name: string): Promise<RoleRecord> {
    const role = await this.deps.roles.findByName(parseInput(roleNameSchema, name, 'name'));
    if (!role) throw notFound(`no role ${name}`);
    return role;
  }

  async update(name: string, input: UpdateRoleInput, options: { actor?: Actor } = {}): Promise<RoleRecord> {
    const parsed = parseInput(updateRoleSchema, input);
    const role = await this.show(name);
    if (parsed.description !== undefined) await this.deps.roles.update(role.id, { description: parsed.description });
    recordChange(this.deps.audit, 'admin.role.updated', options.actor ?? CLI_ACTOR, {}, { role: role.name });
    return this.show(role.name);
  }

  async delete(name: string, options: { actor?: Actor } = {}): Promise<void> {
    const role = await this.show(name);
    const restricted = await this.deps.roles.scopesRestrictedBy(role.id);
    const refuse = (scopes: { api: string; scope: string }[]) =>
      conflict(`role ${role.name} restricts ${scopes.map((s) => `${s.scope} of ${s.api}`).join(', ')}; take it off those scopes first`);
    if (restricted.length) throw refuse(restricted);
    try {
      // Of concurrent deletes exactly one finds the row: the others answer as for a role that is gone.
      if (!(await this.deps.roles.delete(role.id))) throw notFound(`no role ${name}`);
    } catch (error) {
      // A scope was restricted to it in the meantime (the foreign key refuses).
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw refuse(await this.deps.roles.scopesRestrictedBy(role.id));
      throw error;
    }
    recordChange(this.deps.audit, 'admin.role.deleted', options.actor ?? CLI_ACTOR, {}, { role: role.name });
  }
}
