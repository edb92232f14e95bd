// oidc-provider's storage adapter: one instance per model, over the oidc_models table, with
// clients from the clients table (via the in-process catalog) and JWT access tokens found by
// verification instead of storage. Rows are keyed by the hash of the token value and hold no copy
// of it (stored-payloads.ts).
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';

import { AppError } from '../errors/app-error.js';
import type { ModelRow, ModelWrite, OidcModelRepository } from '../repositories/oidc-models.js';
import type { Catalog } from '../services/catalog.js';
import { accessTokenRevocationExpiry, type GrantRevoker } from '../services/grant-revocation.js';
import type { RevocationList } from '../services/revocation-list.js';
import { storageId, type TokenIdSealer } from '../services/token-ids.js';
import { GRANT_ID_CLAIM, SOURCE_GRANT_CLAIM, looksLikeJwt, type AccessTokenVerifier, type VerifiedAccessToken } from './access-token-verifier.js';
import type { ClientMetadataMapper } from './client-metadata.js';
import type { LoadedSessions } from './loaded-sessions.js';
import { grantKey, sessionUidKey, type RequestPrefetch } from './request-prefetch.js';
import { sessionOutlived } from './session-lifetime.js';
import { protectPayload, restorePayload, restoreSealedPayload } from './stored-payloads.js';

export interface AdapterDependencies {
  models: OidcModelRepository;
  catalog: Catalog;
  clientMetadata: ClientMetadataMapper;
  accessTokens: AccessTokenVerifier;
  revocations: RevocationList;
  grants: GrantRevoker;
  refreshTokenReuseGraceSeconds: number;
  /** Where dynamically registered clients (RFC 7591/7592) are kept; without it, the library may not write clients. */
  registeredClients?: { upsert(clientId: string, metadata: Record<string, unknown>): Promise<void>; destroy(clientId: string): Promise<void> };
  tokenIds: TokenIdSealer;
  /** Reads a token's grant and session along with it, for the rest of the request (one round trip instead of three). */
  prefetch?: RequestPrefetch;
  /** The oidc-provider route of the request being served, if any (the reuse grace applies at the token endpoint only). */
  currentRoute?: () => string | undefined;
  /** SESSION_TTL: a Session signed in longer ago than this is not found, even if its row is still live. */
  sessionLifetime?: number;
  /** Sessions the request read: saved back only while they still exist (an ended one stays ended). */
  loadedSessions?: LoadedSessions;
}

/** Models whose second redemption is an attack (RFC 9700 §4.5, §4.14): the grant is revoked. */
const SINGLE_USE_GRANT_SOURCES = new Set(['AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
const JWT_CAPABLE = new Set(['AccessToken', 'ClientCredentials']);
/** Tokens the library follows to their grant (and session) right after finding them. */
const READ_WITH_RELATED = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode']);
// Claims of a JWT access token that map onto oidc-provider token fields rather than `extra`.
const STANDARD_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'cnf', GRANT_ID_CLAIM, SOURCE_GRANT_CLAIM, 'auth_time', 'acr', 'amr']);

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

export function createAdapterClass(deps: AdapterDependencies): new (name: string) => Adapter {
  class GatehouseAdapter implements Adapter {
    constructor(private readonly name: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      deps.prefetch?.forget();
      if (this.name === 'Client') return this.upsertRegisteredClient(id, payload);
      const row = this.toRow(id, payload, expiresIn);
      if (this.name === 'ReplayDetection') {
        if (!(await deps.models.insertIfAbsent(row))) throw new errors.InvalidRequest('replayed request detected');
        return;
      }
      // The Grant TTL must never cut a refresh token short: the grant lives at least as long.
      if (this.name === 'RefreshToken' && payload.grantId && row.expires_at) {
        await deps.models.upsertExtending(row, { model: 'Grant', id: payload.grantId, expiresAt: row.expires_at });
        return;
      }
      // A session this request read and someone ended meanwhile is not re-created by saving it.
      if (this.name === 'Session' && deps.loadedSessions?.wasLoaded(id)) {
        await deps.models.updateExisting(row);
        return;
      }
      await deps.models.upsert(row);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Client') {
        const record = await deps.catalog.client(id);
        return record ? (deps.clientMetadata.toProviderMetadata(record) as AdapterPayload) : undefined;
      }
      if (looksLikeJwt(id)) {
        return JWT_CAPABLE.has(this.name) ? this.findJwt(id) : undefined;
      }
      const row = await this.findRow(storageId(this.name, id));
      return row ? this.unlessOutlived(this.withConsumption(row, restorePayload(id, row.payload))) : undefined;
    }

    private async findRow(storedId: string): Promise<ModelRow | undefined> {
      const prefetch = deps.prefetch;
      if (prefetch && this.name === 'Grant') {
        const kept = prefetch.take(grantKey(storedId));
        if (kept) return kept;
      }
      if (prefetch?.active && READ_WITH_RELATED.has(this.name)) {
        const { row, grant, session, user } = await deps.models.findWithRelated(this.name, storedId);
        if (grant) prefetch.keep(grantKey(grant.id), grant);
        if (session?.uid) prefetch.keep(sessionUidKey(session.uid), session);
        if (user && typeof user.id === 'string') prefetch.keepUser(user.id, user);
        return row;
      }
      // RFC 8628 §3.5: a device polling with an expired code is told expired_token (oidc-provider
      // decides that from the expiry), not invalid_grant as for a code that never existed.
      return deps.models.find(this.name, storedId, { includeExpired: this.name === 'DeviceCode' });
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const kept = this.name === 'Session' ? deps.prefetch?.take(sessionUidKey(uid)) : undefined;
      const row = kept ?? (await deps.models.findBy(this.name, 'uid', uid));
      return row ? this.restoreSealed(row) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const row = await deps.models.findBy(this.name, 'user_code', userCode);
      return row ? this.restoreSealed(row) : undefined;
    }

    async consume(id: string): Promise<void> {
      deps.prefetch?.forget();
      const result = await deps.models.consume(this.name, storageId(this.name, id));
      if (result.consumed) return;
      // Another request redeemed it first (or it was already used): exactly one redemption wins.
      if (this.name === 'RefreshToken') {
        const graceMs = deps.refreshTokenReuseGraceSeconds * 1000;
        const withinGrace = result.consumedAt !== null && Date.now() - result.consumedAt.getTime() <= graceMs;
        if (!withinGrace && result.grantId) await deps.grants.revokeGrant(result.grantId);
        // grantRevoked tells the reuse audit (reuse-audit.ts) whether this was the benign concurrent case.
        throw Object.assign(new errors.InvalidGrant('refresh token already used'), { grantRevoked: !withinGrace && !!result.grantId });
      }
      if (SINGLE_USE_GRANT_SOURCES.has(this.name)) {
        if (result.grantId) await deps.grants.revokeGrant(result.grantId);
        throw Object.assign(new errors.InvalidGrant('grant already used'), { grantRevoked: !!result.grantId });
      }
      if (this.name === 'PushedAuthorizationRequest') {
        throw new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
      }
      throw new errors.InvalidRequest('already used');
    }

    async destroy(id: string): Promise<void> {
      deps.prefetch?.forget();
      if (this.name === 'Client') {
        if (!deps.registeredClients) throw new Error('clients are deleted through Gatehouse, not through the provider adapter');
        await deps.registeredClients.destroy(id);
        return;
      }
      if (this.name === 'Grant') {
        await deps.grants.revokeGrant(id);
        return;
      }
      if (JWT_CAPABLE.has(this.name)) {
        // The library destroys by jti; a JWT cannot be deleted, so its jti is listed as revoked.
        const exp = deps.accessTokens.expiryOf(id);
        await deps.revocations.revoke('jti', id, exp ? new Date((exp + 60) * 1000) : accessTokenRevocationExpiry());
      }
      const deleted = await deps.models.destroy(this.name, storageId(this.name, id));
      // RFC 7592 §2.2: an update rotates the registration access token. Of concurrent updates with the
      // same token only the one that removes it gets a new one; the others were racing a token that
      // is gone (each would otherwise have left another valid token behind).
      if (!deleted && this.name === 'RegistrationAccessToken') throw new errors.InvalidToken('the registration access token was already rotated');
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      deps.prefetch?.forget();
      if (JWT_CAPABLE.has(this.name)) {
        await deps.revocations.revoke('grant', grantId, accessTokenRevocationExpiry());
      }
      await deps.models.deleteByGrantId(this.name, grantId);
    }

    /** Only dynamic registration writes clients through the library; the store hashes the secret. */
    private async upsertRegisteredClient(id: string, payload: AdapterPayload): Promise<void> {
      if (!deps.registeredClients) throw new Error('clients are registered through Gatehouse, not through the provider adapter');
      try {
        await deps.registeredClients.upsert(id, payload as Record<string, unknown>);
      } catch (error) {
        if (error instanceof AppError && error.code === 'invalid_input') throw new errors.InvalidClientMetadata(error.details?.fields?.map((f) => `${f.path}: ${f.message}`).join('; ') ?? error.message);
        throw error;
      }
    }

    private async findJwt(token: string): Promise<AdapterPayload | undefined> {
      const verified = await deps.accessTokens.verify(token);
      if (!verified) return undefined;
      // A user's token carries its grant id; a client_credentials token has none.
      const kind = verified.grantId ? 'AccessToken' : 'ClientCredentials';
      if (kind !== this.name) return undefined;
      return jwtToPayload(kind, verified);
    }

    private toRow(id: string, payload: AdapterPayload, expiresIn: number): ModelWrite {
      const str = (value: unknown) => (typeof value === 'string' ? value : null);
      const stored = protectPayload(this.name, id, payload, deps.tokenIds);
      return {
        model: this.name,
        id: stored.storedId,
        payload: stored.payload,
        grant_id: str(payload.grantId),
        uid: this.name === 'Session' ? str(payload.uid) : null,
        user_code: str(payload.userCode),
        account_id: str(payload.accountId),
        client_id: str(payload.clientId),
        expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
    }

    private restoreSealed(row: ModelRow): AdapterPayload | undefined {
      const payload = restoreSealedPayload(this.name, row.id, row.payload, deps.tokenIds);
      return payload ? this.unlessOutlived(this.withConsumption(row, payload)) : undefined;
    }

    /**
     * A session past its lifetime is not found (one saved at the very end of it was given a second
     * more, the least ttl there is); one that is found is noted as read by this request.
     */
    private unlessOutlived(payload: AdapterPayload): AdapterPayload | undefined {
      if (this.name !== 'Session') return payload;
      if (deps.sessionLifetime !== undefined && sessionOutlived(payload, deps.sessionLifetime)) return undefined;
      if (typeof payload.jti === 'string') deps.loadedSessions?.loaded(payload.jti);
      return payload;
    }

    private withConsumption(row: ModelRow, payload: AdapterPayload): AdapterPayload {
      if (row.consumed_at) {
        const graceMs = deps.refreshTokenReuseGraceSeconds * 1000;
        // A refresh token reused within the grace window is a benign concurrent refresh: let it reach
        // the atomic consume, which refuses it without revoking the grant. Anywhere but the token
        // endpoint (introspection, revocation) it is what it is: used (RFC 7662 §2.2 active: false).
        const inGrace = this.name === 'RefreshToken' && deps.currentRoute?.() === 'token' && Date.now() - row.consumed_at.getTime() <= graceMs;
        if (!inGrace) payload.consumed = epoch(row.consumed_at);
      }
      return payload;
    }
  }

  return GatehouseAdapter;
}

function jwtToPayload(kind: 'AccessToken' | 'ClientCredentials', token: VerifiedAccessToken): AdapterPayload {
  const extra: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(token.claims)) {
    if (!STANDARD_CLAIMS.has(name)) extra[name] = value;
  }
  const cnf = token.claims.cnf as { jkt?: string; 'x5t#S256'?: string } | undefined;
  return {
    kind,
    jti: token.jti,
    iat: token.iat,
    exp: token.exp,
    clientId: token.clientId,
    aud: token.aud,
    scope: token.scope,
    ...(kind === 'AccessToken' ? { accountId: token.sub, grantId: token.grantId } : {}),
    ...(cnf?.jkt ? { jkt: cnf.jkt } : {}),
    ...(cnf?.['x5t#S256'] ? { 'x5t#S256': cnf['x5t#S256'] } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  } as AdapterPayload;
}
