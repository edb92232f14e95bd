// The users table: the people who sign in, their standard claims and their password hashes.
import type { Knex } from 'knex';

export interface UserRecord {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  profile: Record<string, unknown>;
  passwordHash: string | null;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  username: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  profile: Record<string, unknown>;
  passwordHash: string;
}

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  email_verified: boolean;
  name: string | null;
  profile: Record<string, unknown>;
  password_hash: string | null;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const UNIQUE_VIOLATION = '23505';

export class UserRepository {
  constructor(private readonly knex: Knex) {}

  /** Creates a user; undefined when the username or email is taken. */
  async create(user: NewUser): Promise<UserRecord | undefined> {
    try {
      const [row] = (await this.knex('users')
        .insert({
          username: user.username,
          email: user.email,
          email_verified: user.emailVerified,
          name: user.name,
          profile: JSON.stringify(user.profile),
          password_hash: user.passwordHash,
        })
        .returning('*')) as UserRow[];
      return toRecord(row!);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return undefined;
      throw error;
    }
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await this.knex<UserRow>('users').where({ id }).first();
    return row && toRecord(row);
  }

  /** By username or email, case-insensitively (usernames cannot contain "@", so the two never collide). */
  async findByLogin(login: string): Promise<UserRecord | undefined> {
    const lowered = login.toLowerCase();
    const column = lowered.includes('@') ? 'email' : 'username';
    const row = await this.knex<UserRow>('users').whereRaw(`lower(${column}) = ?`, [lowered]).first();
    return row && toRecord(row);
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.knex<UserRow>('users').orderBy('created_at').orderBy('id');
    return rows.map(toRecord);
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.knex('users').where({ id }).update({ password_hash: passwordHash, updated_at: this.knex.fn.now() });
  }
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: row.email_verified,
    name: row.name,
    profile: row.profile,
    passwordHash: row.password_hash,
    disabled: row.disabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
