// What a user has let clients do, and where they are signed in: their grants (revocable one by one)
// and their sign-in sessions (endable one by one). Disabling or deleting a user ends all of both.
import { notFound } from '../errors/app-error.js';
import type { ConsentRepository } from '../repositories/consents.js';
import type { ModelRow, OidcModelRepository } from '../repositories/oidc-models.js';
import { CLI_ACTOR, recordChange, type Actor } from './actor.js';
import type { AuditLog } from './audit-log.js';
import type { GrantRevoker } from './grant-revocation.js';

export interface GrantView {
  grantId: string;
  clientId: string;
  openidScopes: string[];
  apiScopes: Record<string, string[]>;
  createdAt: Date | null;
  expiresAt: Date | null;
}

export interface SessionView {
  uid: string;
  clients: string[];
  signedInAt: Date | null;
  createdAt: Date | null;
  expiresAt: Date | null;
}

const fromEpoch = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000) : null);
const words = (value: unknown) => (typeof value === 'string' ? value.split(' ').filter(Boolean) : []);

/** A client signed in through an ended session, with the session id it knows (for back-channel logout). */
export interface EndedSessionClient {
  clientId: string;
  sid: string | undefined;
}

export type SessionEndedListener = (accountId: string, clients: EndedSessionClient[]) => void;

export class UserAccessService {
  private readonly sessionEndedListeners: SessionEndedListener[] = [];

  constructor(
    private readonly deps: { models: OidcModelRepository; grants: GrantRevoker; consents: ConsentRepository; audit: AuditLog },
  ) {}

  /** Called after a session is ended here (not on logout, which the provider handles itself). */
  onSessionEnded(listener: SessionEndedListener): void {
    this.sessionEndedListeners.push(listener);
  }

  async listGrants(userId: string): Promise<GrantView[]> {
    const rows = await this.deps.models.listByAccount('Grant', userId);
    return rows.map(toGrantView).sort(byCreated);
  }

  /** Revokes one grant and its tokens, and forgets the consent behind it (the user is asked again). */
  async revokeGrant(userId: string, grantId: string, options: { actor?: Actor } = {}): Promise<void> {
    const grant = (await this.listGrants(userId)).find((g) => g.grantId === grantId);
    if (!grant) throw notFound(`user ${userId} has no grant ${grantId}`);
    await this.deps.grants.revokeGrant(grant.grantId);
    await this.deps.consents.delete(userId, grant.clientId);
    recordChange(this.deps.audit, 'admin.grant.revoked', options.actor ?? CLI_ACTOR, { userId, clientId: grant.clientId }, { grant_id: grantId });
  }

  /** Revokes every grant of one client and forgets the consent (the user's "Revoke access"). */
  async revokeClient(userId: string, clientId: string, options: { actor?: Actor } = {}): Promise<number> {
    const grants = (await this.listGrants(userId)).filter((g) => g.clientId === clientId);
    for (const grant of grants) await this.deps.grants.revokeGrant(grant.grantId);
    await this.deps.consents.delete(userId, clientId);
    const type = options.actor?.via === 'account' ? 'account.access.revoked' : 'admin.grant.revoked';
    recordChange(this.deps.audit, type, options.actor ?? CLI_ACTOR, { userId, clientId }, { grants: grants.map((g) => g.grantId) });
    return grants.length;
  }

  /**
   * Ends the user's sessions (all, or all but the one kept) and revokes every grant not made in the kept
   * session: also offline_access grants whose session was logged out or expired, which no live session lists.
   */
  async endSessions(userId: string, options: { except?: string; actor?: Actor } = {}): Promise<number> {
    const ended = await this.endAllBut(userId, options.except);
    if (options.actor) recordChange(this.deps.audit, 'account.sessions.ended', options.actor, { userId }, { ...ended, kept_current: Boolean(options.except) });
    return ended.sessions;
  }

  async listSessions(userId: string): Promise<SessionView[]> {
    const rows = await this.deps.models.listByAccount('Session', userId);
    return rows.map(toSessionView).sort(byCreated);
  }

  /** Ends one sign-in session; the grants made in it end too, as on logout. */
  async endSession(userId: string, uid: string, options: { actor?: Actor } = {}): Promise<void> {
    if (!(await this.endSessionIfPresent(userId, uid, options))) throw notFound(`user ${userId} has no session ${uid}`);
  }

  /** As endSession, but a session that is not (or no longer) the user's is not an error: false. */
  async endSessionIfPresent(userId: string, uid: string, options: { actor?: Actor } = {}): Promise<boolean> {
    const row = (await this.deps.models.listByAccount('Session', userId)).find((r) => r.payload.uid === uid);
    if (!row) return false;
    await this.end(row);
    const type = options.actor?.via === 'account' ? 'account.session.ended' : 'admin.session.ended';
    recordChange(this.deps.audit, type, options.actor ?? CLI_ACTOR, { userId }, { session_uid: uid, grants: grantIdsOf(row).length });
    return true;
  }

  /** Ends every session and revokes every grant of a user (disable, delete, or on request). */
  async endEverything(userId: string, options: { actor?: Actor } = {}): Promise<{ sessions: number; grants: number }> {
    const ended = await this.endAllBut(userId, undefined);
    // Disable and delete record their own event; a sign-out everywhere on request records this one.
    if (options.actor) recordChange(this.deps.audit, 'admin.user.signed_out_everywhere', options.actor, { userId }, ended);
    return ended;
  }

  /** Ends every session but the one with uid `keep`, and revokes every grant of the user not made in it. */
  private async endAllBut(userId: string, keep: string | undefined): Promise<{ sessions: number; grants: number }> {
    const sessions = await this.deps.models.listByAccount('Session', userId);
    const kept = keep === undefined ? undefined : sessions.find((r) => r.payload.uid === keep);
    const keptGrants = new Set(kept ? grantIdsOf(kept) : []);
    const ending = sessions.filter((r) => r !== kept);
    const revoked = new Set((await this.listGrants(userId)).map((g) => g.grantId).filter((id) => !keptGrants.has(id)));
    for (const row of ending) await this.end(row);
    // Grants no ending session lists (offline_access outlives logout and expiry), and any the listing raced with.
    for (const grant of await this.listGrants(userId)) {
      if (keptGrants.has(grant.grantId)) continue;
      await this.deps.grants.revokeGrant(grant.grantId);
      revoked.add(grant.grantId);
    }
    // A session created meanwhile goes too, when none is kept.
    if (keep === undefined) await this.deps.models.deleteByAccount('Session', userId);
    return { sessions: ending.length, grants: revoked.size };
  }

  private async end(row: ModelRow): Promise<void> {
    const authorizations = sessionAuthorizations(row);
    for (const grantId of grantIdsOf(row)) await this.deps.grants.revokeGrant(grantId);
    await this.deps.models.destroy('Session', row.id);
    const accountId = row.account_id ?? (typeof row.payload.accountId === 'string' ? row.payload.accountId : undefined);
    if (!accountId) return;
    const clients = Object.entries(authorizations).map(([clientId, { sid }]) => ({ clientId, sid }));
    for (const listener of this.sessionEndedListeners) listener(accountId, clients);
  }
}

function sessionAuthorizations(row: ModelRow): Record<string, { grantId?: string; sid?: string }> {
  return (row.payload.authorizations ?? {}) as Record<string, { grantId?: string; sid?: string }>;
}

/** The grants made in a session, one per client signed in through it. */
function grantIdsOf(row: ModelRow): string[] {
  return Object.values(sessionAuthorizations(row)).flatMap(({ grantId }) => (grantId ? [grantId] : []));
}

function toGrantView(row: ModelRow): GrantView {
  const p = row.payload as { jti?: string; clientId?: string; openid?: { scope?: string }; resources?: Record<string, string>; iat?: number; exp?: number };
  return {
    grantId: p.jti ?? row.id,
    clientId: p.clientId ?? row.client_id ?? '',
    openidScopes: words(p.openid?.scope),
    apiScopes: Object.fromEntries(Object.entries(p.resources ?? {}).map(([api, scope]) => [api, words(scope)])),
    createdAt: fromEpoch(p.iat),
    expiresAt: row.expires_at ?? fromEpoch(p.exp),
  };
}

function toSessionView(row: ModelRow): SessionView {
  const p = row.payload as { uid?: string; loginTs?: number; iat?: number; exp?: number; authorizations?: Record<string, unknown> };
  return {
    uid: p.uid ?? row.uid ?? '',
    clients: Object.keys(p.authorizations ?? {}),
    signedInAt: fromEpoch(p.loginTs),
    createdAt: fromEpoch(p.iat),
    expiresAt: row.expires_at ?? fromEpoch(p.exp),
  };
}

function byCreated(a: { createdAt: Date | null }, b: { createdAt: Date | null }): number {
  return (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0);
}
