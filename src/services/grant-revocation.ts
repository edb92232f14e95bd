// Ending a grant everywhere at once: its stored artefacts (codes, refresh tokens, opaque tokens,
// the grant itself) are deleted and its JWT access tokens go on the revocation list.
import type { OidcModelRepository } from '../repositories/oidc-models.js';
import type { RevocationList } from './revocation-list.js';

/** JWT access tokens live at most this long (the longest TTL an API may set), plus clock skew. */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 24 * 3600 + 60;

export const GRANT_BOUND_MODELS = [
  'AccessToken',
  'ClientCredentials',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
] as const;

export function accessTokenRevocationExpiry(now = Date.now()): Date {
  return new Date(now + MAX_ACCESS_TOKEN_LIFETIME_SECONDS * 1000);
}

export class GrantRevoker {
  constructor(
    private readonly models: OidcModelRepository,
    private readonly revocations: RevocationList,
  ) {}

  async revokeGrant(grantId: string): Promise<void> {
    // The revocation list first: from this moment no JWT of the grant introspects as active.
    await this.revocations.revoke('grant', grantId, accessTokenRevocationExpiry());
    await Promise.all(GRANT_BOUND_MODELS.map((model) => this.models.deleteByGrantId(model, grantId)));
    await this.models.destroy('Grant', grantId);
  }
}
