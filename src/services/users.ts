// Creating users and checking their passwords.
import { conflict } from '../errors/app-error.js';
import type { UserRecord, UserRepository } from '../repositories/users.js';
import { parseInput } from '../schemas/parse.js';
import { createUserSchema, type CreateUserInput } from '../schemas/user.js';
import type { PasswordHasher } from './passwords.js';

export class UserService {
  constructor(private readonly deps: { users: UserRepository; passwords: PasswordHasher }) {}

  async create(input: CreateUserInput): Promise<UserRecord> {
    const parsed = parseInput(createUserSchema, input);
    const created = await this.deps.users.create({
      username: parsed.username,
      email: parsed.email ?? null,
      emailVerified: parsed.emailVerified,
      name: parsed.name ?? null,
      profile: {},
      passwordHash: await this.deps.passwords.hash(parsed.password),
    });
    if (!created) throw conflict('a user with that username or email already exists');
    return created;
  }

  list(): Promise<UserRecord[]> {
    return this.deps.users.list();
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return this.deps.users.findById(id);
  }

  /**
   * The user for a login and password, or undefined. Unknown users cost one verification against
   * a dummy hash, so the answer takes the same time either way; outdated hashes are upgraded.
   */
  async authenticate(login: string, password: string): Promise<UserRecord | undefined> {
    const { users, passwords } = this.deps;
    const user = login.length <= 254 ? await users.findByLogin(login.trim()) : undefined;
    if (!user?.passwordHash || user.disabled) {
      await passwords.verifyDummy(password);
      return undefined;
    }
    if (!(await passwords.verify(user.passwordHash, password))) return undefined;
    if (passwords.needsRehash(user.passwordHash)) {
      await users.updatePasswordHash(user.id, await passwords.hash(password));
    }
    return user;
  }
}
