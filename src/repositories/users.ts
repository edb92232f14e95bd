// The users table: the people who sign in, their standard claims and their password hashes.
import type { Knex } from 'knex';

import { escapeLike, isUuid } from './apis.js';
import { applyKeyset, toPage, type Page, type PageRequest } from './keyset-page.js';

export interface UserRecord {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  profile: Record<string, unknown>;
  passwordHash: string | null;
  disabled: boolean;
  /** A TOTP second factor is enrolled: a password alone does not sign this user in. */
  twoStepEnrolled: boolean;
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

export interface UserChanges {
  email?: string | null;
  emailVerified?: boolean;
  name?: string | null;
  profile?: Record<string, unknown>;
  disabled?: boolean;
  passwordHash?: string;
}

export interface UserFilter {
  /** Substring of the username, email or name, case-insensitive. */
  q?: string | undefined;
  disabled?: boolean | undefined;
  /** Holders of this role (by name). */
  role?: string | undefined;
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
  totp_secret_sealed: string | null;
  totp_secret_kek_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const UNIQUE_VIOLATION = '23505';

export class UserRepository {
  constructor(private readonly knex: Knex) {}

  /** Creates a user; undefined when the username or email is taken. */
  async create(user: NewUser, trx: Knex | Knex.Transaction = this.knex): Promise<UserRecord | undefined> {
    try {
      const [row] = (await trx('users')
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

  async findById(id: string, trx: Knex | Knex.Transaction = this.knex): Promise<UserRecord | undefined> {
    if (!isUuid(id)) return undefined;
    // Fixed text rather than the query builder: every sign-in, token and userinfo call reads a user.
    const { rows } = (await trx.raw('SELECT * FROM users WHERE id = ? LIMIT 1', [id])) as { rows: UserRow[] };
    return rows[0] && toRecord(rows[0]);
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const row = await this.knex<UserRow>('users').whereRaw('lower(username) = ?', [username.toLowerCase()]).first();
    return row && toRecord(row);
  }

  /** Applies the changes; undefined when the user is gone, throws a unique violation for a taken email. */
  async update(id: string, changes: UserChanges, trx: Knex | Knex.Transaction = this.knex): Promise<UserRecord | undefined> {
    const update: Record<string, unknown> = { updated_at: trx.fn.now() };
    if (changes.email !== undefined) update.email = changes.email;
    if (changes.emailVerified !== undefined) update.email_verified = changes.emailVerified;
    if (changes.name !== undefined) update.name = changes.name;
    if (changes.profile !== undefined) update.profile = JSON.stringify(changes.profile);
    if (changes.disabled !== undefined) update.disabled = changes.disabled;
    if (changes.passwordHash !== undefined) update.password_hash = changes.passwordHash;
    const [row] = (await trx('users').where({ id }).update(update).returning('*')) as UserRow[];
    return row && toRecord(row);
  }

  async delete(id: string, trx: Knex | Knex.Transaction = this.knex): Promise<boolean> {
    return (await trx('users').where({ id }).delete()) > 0;
  }

  async listPage(page: PageRequest, filter: UserFilter = {}): Promise<Page<UserRecord>> {
    const query = this.knex('users as u').select('u.*');
    if (filter.q) {
      const like = `%${escapeLike(filter.q)}%`;
      query.where((q) => q.whereILike('u.username', like).orWhereILike('u.email', like).orWhereILike('u.name', like));
    }
    if (filter.disabled !== undefined) query.where('u.disabled', filter.disabled);
    if (filter.role) {
      const role = filter.role;
      query.whereExists((q) => q.from('user_roles as ur').join('roles as r', 'r.id', 'ur.role_id').whereRaw('ur.user_id = u.id').where('r.name', role));
    }
    applyKeyset(this.knex, query, { createdAt: 'u.created_at', id: 'u.id' }, page);
    const rows = (await query) as (UserRow & Record<string, unknown>)[];
    return toPage(rows, page, (row) => row.id, (kept) => kept.map(toRecord));
  }

  /** By username or email, case-insensitively (usernames cannot contain "@", so the two never collide). */
  async findByLogin(login: string): Promise<UserRecord | undefined> {
    const lowered = login.toLowerCase();
    const column = lowered.includes('@') ? 'email' : 'username';
    const { rows } = (await this.knex.raw(`SELECT * FROM users WHERE lower(${column}) = ? LIMIT 1`, [lowered])) as { rows: UserRow[] };
    return rows[0] && toRecord(rows[0]);
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.knex<UserRow>('users').orderBy('created_at').orderBy('id');
    return rows.map(toRecord);
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.knex('users').where({ id }).update({ password_hash: passwordHash, updated_at: this.knex.fn.now() });
  }
}

/** A user from the users table's row as JSON (to_jsonb: timestamps come as strings). */
export function userFromJson(row: Record<string, unknown>): UserRecord {
  const json = row as unknown as Omit<UserRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };
  return toRecord({ ...json, created_at: new Date(json.created_at), updated_at: new Date(json.updated_at) });
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
    // The same test as TwoStepRepository.state: a sealed secret and the KEK it is sealed under.
    twoStepEnrolled: Boolean(row.totp_secret_sealed && row.totp_secret_kek_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
