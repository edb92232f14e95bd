// Initial access tokens for dynamic client registration (RFC 7591 §3): issued by an operator,
// shown once, stored as keyed hashes, limited in time and optionally in number of uses.
import { randomBytes } from 'node:crypto';

import { notFound } from '../errors/app-error.js';
import type { Page, PageRequest } from '../repositories/keyset-page.js';
import type { RegistrationTokenRecord, RegistrationTokenRepository } from '../repositories/registration-tokens.js';
import { parseInput } from '../schemas/parse.js';
import { createRegistrationTokenSchema, type CreateRegistrationTokenInput } from '../schemas/registration-token.js';
import { CLI_ACTOR, recordChange, type Actor } from './actor.js';
import type { AuditLog } from './audit-log.js';
import type { ClientSecretHasher } from './client-secrets.js';

/** A recognisable prefix: secret scanners and people can tell what leaked. */
const TOKEN_PREFIX = 'ghiat_';

export interface IssuedRegistrationToken {
  token: string;
  record: RegistrationTokenRecord;
}

export class RegistrationTokenService {
  constructor(private readonly deps: { tokens: RegistrationTokenRepository; hasher: ClientSecretHasher; audit: AuditLog }) {}

  async create(input: CreateRegistrationTokenInput = {}, options: { actor?: Actor } = {}): Promise<IssuedRegistrationToken> {
    const parsed = parseInput(createRegistrationTokenSchema, input);
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record = await this.deps.tokens.create({
      tokenHash: this.deps.hasher.hash(token),
      description: parsed.description ?? null,
      expiresAt: new Date(Date.now() + parsed.ttlSeconds * 1000),
      maxUses: parsed.maxUses ?? null,
    });
    recordChange(this.deps.audit, 'admin.registration_token.created', options.actor ?? CLI_ACTOR, {}, { id: record.id, ttl_seconds: parsed.ttlSeconds, max_uses: record.maxUses });
    return { token, record };
  }

  listPage(page: PageRequest, filter: { active?: boolean | undefined } = {}): Promise<Page<RegistrationTokenRecord>> {
    return this.deps.tokens.listPage(page, filter);
  }

  async show(id: string): Promise<RegistrationTokenRecord> {
    const record = await this.deps.tokens.findById(id);
    if (!record) throw notFound(`no registration token ${id}`);
    return record;
  }

  async revoke(id: string, options: { actor?: Actor } = {}): Promise<void> {
    if (!(await this.deps.tokens.revoke(id))) throw notFound(`no registration token ${id}`);
    recordChange(this.deps.audit, 'admin.registration_token.revoked', options.actor ?? CLI_ACTOR, {}, { id });
  }

  /** Takes one use of a presented token; its id, or undefined if it does not allow a registration now. */
  async take(token: string): Promise<string | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
    return this.deps.tokens.takeUse(this.deps.hasher.hash(token));
  }

  /** Gives a use back after the registration it was taken for failed. */
  giveBack(id: string): Promise<void> {
    return this.deps.tokens.returnUse(id);
  }
}
