// Gatehouse's oidc-provider adapter over a core, outside a running server (storage-level tests).
import type { Adapter } from 'oidc-provider';

import type { Core } from '../../src/core.js';
import { AccessTokenVerifier } from '../../src/oidc/access-token-verifier.js';
import { createAdapterClass } from '../../src/oidc/adapter.js';
import { ClientMetadataMapper } from '../../src/oidc/client-metadata.js';

export function adapterFor(core: Core): (model: string) => Adapter {
  const AdapterClass = createAdapterClass({
    models: core.repositories.models,
    catalog: core.catalog,
    clientMetadata: new ClientMetadataMapper(),
    accessTokens: new AccessTokenVerifier({ issuer: core.config.issuer, keys: core.keyRing, revocations: core.revocations, clockToleranceSeconds: 5 }),
    revocations: core.revocations,
    grants: core.grants,
    refreshTokenReuseGraceSeconds: core.config.refreshTokenReuseGraceSeconds,
    tokenIds: core.tokenIds,
  });
  return (model) => new AdapterClass(model);
}
