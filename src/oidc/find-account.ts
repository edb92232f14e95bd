// Accounts for oidc-provider: users from the database, their standard claims by scope.
import type { Account, AccountClaims, FindAccount } from 'oidc-provider';

import { userFromJson, type UserRecord } from '../repositories/users.js';
import type { UserService } from '../services/users.js';
import type { RequestPrefetch } from './request-prefetch.js';

export const STANDARD_CLAIMS = {
  openid: ['sub'],
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username',
    'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
} as const;

const PROFILE_CLAIMS = new Set<string>([...STANDARD_CLAIMS.profile, ...STANDARD_CLAIMS.address, ...STANDARD_CLAIMS.phone]);

export function claimsOf(user: UserRecord): AccountClaims {
  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(user.profile)) {
    if (PROFILE_CLAIMS.has(name)) claims[name] = value;
  }
  return {
    ...claims,
    sub: user.id,
    name: user.name ?? undefined,
    preferred_username: user.username,
    email: user.email ?? undefined,
    email_verified: user.email ? user.emailVerified : undefined,
    updated_at: Math.floor(user.updatedAt.getTime() / 1000),
  };
}

/**
 * oidc-provider's account lookup. After a token was found (userinfo, a refresh, a code exchange) its
 * user was read in the same statement (request-prefetch.ts): no second round trip for it.
 */
export function createFindAccount(users: UserService, prefetch?: Pick<RequestPrefetch, 'takeUser'>): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const kept = prefetch?.takeUser(sub);
    const user = kept ? userFromJson(kept) : await users.findById(sub);
    // A disabled user's sessions and tokens stop working at once.
    if (!user || user.disabled) return undefined;
    return {
      accountId: user.id,
      claims: () => claimsOf(user),
    };
  };
}
