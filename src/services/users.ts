// Users: creating and changing them, their passwords and roles, and checking passwords at sign-in.
// Disabling or deleting a user ends their sessions and revokes their grants at once.
import type { Transaction, Transactor } from '../db/transactor.js';
import { conflict, invalidInput, notFound } from '../errors/app-error.js';
import { isUuid } from '../repositories/apis.js';
import type { Page, PageRequest } from '../repositories/keyset-page.js';
import type { RoleRepository } from '../repositories/roles.js';
import type { UserChanges, UserFilter, UserRecord, UserRepository } from '../repositories/users.js';
import { parseInput } from '../schemas/parse.js';
import { roleNameSchema } from '../schemas/role.js';
import {
  createUserSchema,
  setPasswordSchema,
  setRolesSchema,
  updateUserSchema,
  type CreateUserInput,
  type UpdateUserInput,
} from '../schemas/user.js';
import { CLI_ACTOR, recordChange, type Actor } from './actor.js';
import type { AuditLog } from './audit-log.js';
import { buildsOnContext, contextWords, passwordProblem, type PasswordProblem } from './password-policy.js';
import type { PasswordHasher } from './passwords.js';
import type { UserAccessService } from './user-access.js';

const UNIQUE_VIOLATION = '23505';

/** A user as the admin API and the CLI show them: with their roles. */
export type UserView = UserRecord & { roles: string[] };

export class UserService {
  constructor(
    private readonly deps: {
      users: UserRepository;
      passwords: PasswordHasher;
      roles: RoleRepository;
      transaction: Transactor;
      access: UserAccessService;
      audit: AuditLog;
      /** The service's own names (brand, product), which a password must not build on (ASVS 5.0 V6.2.11). */
      serviceNames?: readonly string[];
    },
  ) {}

  /** The words a user's password must not be built on: their username, email and name, the service's names. */
  private contextOf(user: { username: string; email?: string | null; name?: string | null }): string[] {
    return contextWords(user.username, user.email, user.name, ...(this.deps.serviceNames ?? []));
  }

  /** A new password that is little more than its context words is refused as invalid input. */
  private refuseContextPassword(password: string | undefined, user: { username: string; email?: string | null; name?: string | null }): void {
    if (password !== undefined && buildsOnContext(password, this.contextOf(user))) {
      throw invalidInput('the password builds on the user\'s name, email or the service\'s name', [
        { path: 'password', message: 'builds on the user\'s name, email or the service\'s name; choose another' },
      ]);
    }
  }

  async create(input: CreateUserInput, options: { actor?: Actor } = {}): Promise<UserRecord> {
    const parsed = parseInput(createUserSchema, input);
    this.refuseContextPassword(parsed.password, parsed);
    const passwordHash = parsed.password === undefined ? null : await this.deps.passwords.hash(parsed.password);
    const roleIds = await this.roleIds(parsed.roles, 'roles');
    const created = await this.transaction(async (trx) => {
      const user = await this.deps.users.create(
        {
          username: parsed.username,
          email: parsed.email ?? null,
          emailVerified: parsed.emailVerified,
          name: parsed.name ?? null,
          profile: parsed.profile,
          passwordHash: passwordHash as string,
        },
        trx,
      );
      if (!user) throw conflict('a user with that username or email already exists');
      if (roleIds.length) await this.roleRepository().setUserRoles(user.id, roleIds, trx);
      return user;
    });
    this.audit('admin.user.created', options.actor, created.id, { username: created.username, roles: parsed.roles });
    return created;
  }

  list(): Promise<UserRecord[]> {
    return this.deps.users.list();
  }

  async listPage(page: PageRequest, filter: UserFilter = {}): Promise<Page<UserView>> {
    const result = await this.deps.users.listPage(page, filter);
    const roles = await this.roleRepository().namesForUsers(result.items.map((u) => u.id));
    return { ...result, items: result.items.map((user) => ({ ...user, roles: roles.get(user.id) ?? [] })) };
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return this.deps.users.findById(id);
  }

  /** A user by id or username, with roles. */
  async show(ref: string): Promise<UserView> {
    const user = isUuid(ref) ? await this.deps.users.findById(ref) : await this.deps.users.findByUsername(ref);
    if (!user) throw notFound(`no user ${ref}`);
    return { ...user, roles: await this.roleRepository().namesForUser(user.id) };
  }

  /** Role names of a user (for scope restrictions and the roles claim). */
  rolesOf(userId: string): Promise<string[]> {
    return this.roleRepository().namesForUser(userId);
  }

  async update(ref: string, input: UpdateUserInput, options: { actor?: Actor } = {}): Promise<UserView> {
    const parsed = parseInput(updateUserSchema, input);
    const user = await this.show(ref);
    const changes: UserChanges = {};
    if (parsed.email !== undefined) changes.email = parsed.email;
    // A new (or no) address is not verified unless the change says so: ID tokens would claim it was.
    if (parsed.email !== undefined && parsed.email !== user.email) changes.emailVerified = false;
    if (parsed.emailVerified !== undefined) changes.emailVerified = parsed.emailVerified;
    if (parsed.name !== undefined) changes.name = parsed.name;
    if (parsed.profile !== undefined) changes.profile = parsed.profile;
    if (parsed.disabled !== undefined) changes.disabled = parsed.disabled;
    try {
      await this.deps.users.update(user.id, changes);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw conflict('another user has that email address');
      throw error;
    }
    let ended: { sessions: number; grants: number } | undefined;
    if (parsed.disabled === true && !user.disabled) ended = await this.access().endEverything(user.id);
    const type = parsed.disabled === true && !user.disabled ? 'admin.user.disabled' : parsed.disabled === false && user.disabled ? 'admin.user.enabled' : 'admin.user.updated';
    this.audit(type, options.actor, user.id, { fields: Object.keys(input ?? {}), ...(ended ? { ended } : {}) });
    return this.show(user.id);
  }

  async setPassword(ref: string, password: string, options: { actor?: Actor } = {}): Promise<UserView> {
    const parsed = parseInput(setPasswordSchema, { password });
    const user = await this.show(ref);
    this.refuseContextPassword(parsed.password, user);
    await this.deps.users.update(user.id, { passwordHash: await this.deps.passwords.hash(parsed.password) });
    this.audit('admin.user.password_set', options.actor, user.id);
    return this.show(user.id);
  }

  async delete(ref: string, options: { actor?: Actor } = {}): Promise<void> {
    const user = await this.show(ref);
    const ended = await this.access().endEverything(user.id);
    if (!(await this.deps.users.delete(user.id))) throw notFound(`no user ${ref}`);
    this.audit('admin.user.deleted', options.actor, user.id, { username: user.username, ended });
  }

  async setRoles(ref: string, roles: string[], options: { actor?: Actor } = {}): Promise<UserView> {
    const parsed = parseInput(setRolesSchema, { roles });
    const user = await this.show(ref);
    const roleIds = await this.roleIds(parsed.roles, 'roles');
    await this.transaction((trx) => this.roleRepository().setUserRoles(user.id, roleIds, trx));
    this.audit('admin.user.roles_set', options.actor, user.id, { roles: parsed.roles, before: user.roles });
    return this.show(user.id);
  }

  async addRole(ref: string, role: string, options: { actor?: Actor } = {}): Promise<UserView> {
    const name = parseInput(roleNameSchema, role, 'role');
    const user = await this.show(ref);
    const found = await this.roleRepository().findByName(name);
    if (!found) throw notFound(`no role ${name}`);
    await this.roleRepository().addUserRole(user.id, found.id);
    this.audit('admin.user.role_added', options.actor, user.id, { role: name });
    return this.show(user.id);
  }

  async removeRole(ref: string, role: string, options: { actor?: Actor } = {}): Promise<UserView> {
    const user = await this.show(ref);
    const found = await this.roleRepository().findByName(role);
    if (!found || !user.roles.includes(role)) throw notFound(`user ${user.username} does not have role ${role}`);
    await this.roleRepository().removeUserRole(user.id, found.id);
    this.audit('admin.user.role_removed', options.actor, user.id, { role });
    return this.show(user.id);
  }

  /**
   * The user for a login and password, or undefined. Unknown users cost one verification against
   * a dummy hash, so the answer takes the same time either way; outdated hashes are upgraded.
   */
  /** The user a sign-in form's login names (username or email, any case), if any. */
  async findForSignIn(login: string): Promise<UserRecord | undefined> {
    return login.length <= 254 ? this.deps.users.findByLogin(login.trim()) : undefined;
  }

  /** `user` if `password` is theirs; as slow for no user or a disabled one (no enumeration by timing). */
  async verifySignIn(user: UserRecord | undefined, password: string): Promise<UserRecord | undefined> {
    const { users, passwords } = this.deps;
    if (!user?.passwordHash || user.disabled) {
      await passwords.verifyDummy(password);
      return undefined;
    }
    const outcome = await passwords.check(user.passwordHash, password);
    if (outcome === 'no_match') return undefined;
    if (outcome === 'legacy_match' || passwords.needsRehash(user.passwordHash)) {
      await users.updatePasswordHash(user.id, await passwords.hash(password));
    }
    return user;
  }

  async authenticate(login: string, password: string): Promise<UserRecord | undefined> {
    return this.verifySignIn(await this.findForSignIn(login), password);
  }

  /**
   * A signed-in user changes their own password: the current one must match and the new one pass the
   * policy. The caller ends the user's other sessions.
   */
  async changeOwnPassword(userId: string, current: string, next: string, options: { actor: Actor }): Promise<'changed' | 'wrong_current' | PasswordProblem> {
    const user = await this.deps.users.findById(userId);
    if (!user?.passwordHash || user.disabled || !(await this.deps.passwords.verify(user.passwordHash, current))) {
      this.deps.audit.record({ type: 'account.password.change_failed', outcome: 'failure', userId, clientId: null, ip: options.actor.ip ?? null, userAgent: options.actor.userAgent ?? null, requestId: options.actor.requestId ?? null, details: { reason: 'wrong_current' } });
      return 'wrong_current';
    }
    const problem = passwordProblem(next, this.contextOf(user));
    if (problem) {
      this.deps.audit.record({ type: 'account.password.change_failed', outcome: 'failure', userId, clientId: null, ip: options.actor.ip ?? null, userAgent: options.actor.userAgent ?? null, requestId: options.actor.requestId ?? null, details: { reason: problem } });
      return problem;
    }
    await this.deps.users.update(user.id, { passwordHash: await this.deps.passwords.hash(next) });
    this.audit('account.password.changed', options.actor, user.id);
    return 'changed';
  }

  private async roleIds(names: string[], path: string): Promise<string[]> {
    if (!names.length) return [];
    const found = await this.roleRepository().findByNames(names);
    const unknown = names.filter((name) => !found.some((r) => r.name === name));
    if (unknown.length) throw invalidInput(`unknown role(s): ${unknown.join(', ')}`, [{ path, message: `unknown role(s): ${unknown.join(', ')}; create them first` }]);
    return names.map((name) => found.find((r) => r.name === name)!.id);
  }

  private roleRepository(): RoleRepository {
    return this.deps.roles;
  }

  private access(): UserAccessService {
    return this.deps.access;
  }

  private transaction<T>(work: (trx: Transaction) => Promise<T>): Promise<T> {
    return this.deps.transaction(work);
  }

  private audit(type: string, actor: Actor | undefined, userId: string, details: Record<string, unknown> = {}): void {
    recordChange(this.deps.audit, type, actor ?? CLI_ACTOR, { userId }, details);
  }
}
