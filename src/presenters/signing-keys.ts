// The public shape of a signing key: what `gatehouse keys list` prints and the admin API returns.
// Never the private half; the KEK id is a hash prefix naming which GATEHOUSE_KEK encrypts it.
import type { KeyInfo } from '../services/signing-keys.js';

export function presentSigningKey(key: KeyInfo) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created_at: key.createdAt.toISOString(),
    activates_at: key.activatesAt.toISOString(),
    retired_at: key.retiredAt?.toISOString() ?? null,
    remove_after: key.removeAfter?.toISOString() ?? null,
    kek_id: key.kekId,
  };
}
