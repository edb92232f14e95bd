// Verifies Gatehouse's own JWT access tokens (RFC 9068) for introspection and revocation: the
// signature against this instance's keys, the header and claims, then the revocation list.
// No database round trip: that is what keeps introspection fast.
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';

import type { KeyRing } from '../services/key-ring.js';
import type { RevocationList } from '../services/revocation-list.js';

/** Private claim carrying the grant id, so a grant's revocation reaches its JWTs. */
export const GRANT_ID_CLAIM = 'gid';
/** Private claim of an exchanged token (RFC 8693): the user's grant its chain started from. */
export const SOURCE_GRANT_CLAIM = 'sgid';

export interface VerifiedAccessToken {
  jti: string;
  iat: number;
  exp: number;
  clientId: string;
  sub: string;
  aud: string | string[];
  scope: string | undefined;
  grantId: string | undefined;
  claims: JWTPayload;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function looksLikeJwt(value: string): boolean {
  return value.length < 16_384 && JWT_SHAPE.test(value);
}

export class AccessTokenVerifier {
  private readonly recentExpiries = new Map<string, number>();
  /** Verifications under way: oidc-provider looks a token up as two models at once (introspection, revocation). */
  private readonly inFlight = new Map<string, Promise<VerifiedAccessToken | undefined>>();

  constructor(
    private readonly deps: { issuer: string; keys: KeyRing; revocations: RevocationList; clockToleranceSeconds: number },
  ) {}

  /** The verified token, or undefined for anything invalid, expired or revoked. */
  verify(token: string): Promise<VerifiedAccessToken | undefined> {
    // Concurrent lookups of one token share one signature check; nothing is kept once it is answered.
    const pending = this.inFlight.get(token);
    if (pending) return pending;
    const verification = this.verifyNow(token).finally(() => this.inFlight.delete(token));
    this.inFlight.set(token, verification);
    return verification;
  }

  private async verifyNow(token: string): Promise<VerifiedAccessToken | undefined> {
    if (!looksLikeJwt(token)) return undefined;
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.typ?.toLowerCase() !== 'at+jwt' && header.typ?.toLowerCase() !== 'application/at+jwt') return undefined;
      kid = header.kid;
    } catch {
      return undefined;
    }
    const key = kid ? this.deps.keys.verificationKey(kid) : undefined;
    if (!key) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        issuer: this.deps.issuer,
        algorithms: [key.alg],
        typ: 'at+jwt',
        requiredClaims: ['jti', 'iat', 'exp', 'aud', 'sub'],
        clockTolerance: this.deps.clockToleranceSeconds,
      }));
    } catch {
      return undefined;
    }
    const clientId = payload.client_id;
    if (typeof clientId !== 'string' || typeof payload.jti !== 'string' || typeof payload.sub !== 'string') return undefined;
    const grantId = typeof payload[GRANT_ID_CLAIM] === 'string' ? (payload[GRANT_ID_CLAIM] as string) : undefined;
    if (this.deps.revocations.isRevoked(payload.jti, grantId)) return undefined;
    const sourceGrant = payload[SOURCE_GRANT_CLAIM];
    if (typeof sourceGrant === 'string' && this.deps.revocations.isRevoked(payload.jti, sourceGrant)) return undefined;
    this.rememberExpiry(payload.jti, payload.exp!);
    return {
      jti: payload.jti,
      iat: payload.iat!,
      exp: payload.exp!,
      clientId,
      sub: payload.sub,
      aud: payload.aud!,
      scope: typeof payload.scope === 'string' ? payload.scope : undefined,
      grantId,
      claims: payload,
    };
  }

  /** When a token verified here expires: so that revoking it by jti records the right lifetime. */
  expiryOf(jti: string): number | undefined {
    return this.recentExpiries.get(jti);
  }

  private rememberExpiry(jti: string, exp: number): void {
    if (this.recentExpiries.size >= 10_000) {
      const oldest = this.recentExpiries.keys().next().value;
      if (oldest !== undefined) this.recentExpiries.delete(oldest);
    }
    this.recentExpiries.set(jti, exp);
  }
}
