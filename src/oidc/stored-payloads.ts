// What the adapter writes for an oidc-provider payload, and how it is restored on the way back:
// the row is keyed by the hash of the id (services/token-ids.ts), and no copy of a credential is
// left in the payload — not the id itself (`jti`), not an interaction's copy of the session cookie,
// not the interaction id at the end of its resume URL.
import type { AdapterPayload } from 'oidc-provider';

import { SEALED_ID_FIELD, SEALED_ID_MODELS, storageId, type TokenIdSealer } from '../services/token-ids.js';

// Marks a resume URL whose trailing interaction id was cut off for storage.
const RETURN_TO_ENDS_WITH_ID = 'returnToEndsWithId';

export interface StoredPayload {
  storedId: string;
  payload: Record<string, unknown>;
}

export function protectPayload(model: string, id: string, payload: AdapterPayload, sealer: TokenIdSealer): StoredPayload {
  const storedId = storageId(model, id);
  const { jti: _jti, ...stored } = payload as Record<string, unknown>;
  if (model === 'Interaction') protectInteraction(stored, id);
  if (SEALED_ID_MODELS.has(model)) stored[SEALED_ID_FIELD] = sealer.seal(model, storedId, id);
  return { storedId, payload: stored };
}

/** The payload oidc-provider stored under `id`, as it gave it. */
export function restorePayload(id: string, stored: Record<string, unknown>): AdapterPayload {
  const { [SEALED_ID_FIELD]: _sealed, [RETURN_TO_ENDS_WITH_ID]: endsWithId, ...payload } = stored;
  if (endsWithId === true && typeof payload.returnTo === 'string') payload.returnTo = `${payload.returnTo}${id}`;
  return { ...payload, jti: id } as AdapterPayload;
}

/** For a lookup by a secondary key: the id is unsealed from the row; undefined when it cannot be. */
export function restoreSealedPayload(model: string, storedId: string, stored: Record<string, unknown>, sealer: TokenIdSealer): AdapterPayload | undefined {
  const id = sealer.open(model, storedId, stored[SEALED_ID_FIELD]);
  return id === undefined ? undefined : restorePayload(id, stored);
}

function protectInteraction(stored: Record<string, unknown>, id: string): void {
  // oidc-provider keeps the session id (the session cookie's value) in the interaction but never
  // reads it back; the session's uid, which it does use, stays.
  const session = stored.session as Record<string, unknown> | undefined;
  if (session && typeof session === 'object' && 'cookie' in session) {
    const { cookie: _cookie, ...rest } = session;
    stored.session = rest;
  }
  if (typeof stored.returnTo === 'string' && stored.returnTo.endsWith(`/${id}`)) {
    stored.returnTo = stored.returnTo.slice(0, -id.length);
    stored[RETURN_TO_ENDS_WITH_ID] = true;
  }
}
