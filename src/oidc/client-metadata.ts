// What oidc-provider sees of a registered client. Secrets are stored only as hashes; the library
// still insists on a client_secret for secret-based authentication, so it gets the hash, which is
// never compared (authentication goes through ClientSecretHasher, see internals.ts).
import type { ClientRecord } from '../repositories/clients.js';
import { STANDARD_SCOPES } from '../schemas/api.js';

const OIDC_SCOPES = new Set<string>(STANDARD_SCOPES);

export class ClientMetadataMapper {
  toProviderMetadata(record: ClientRecord): Record<string, unknown> {
    const metadata: Record<string, unknown> = { ...record.metadata, client_id: record.clientId };
    // oidc-provider's `scope` lists OpenID Connect scopes only; API scopes are checked per API
    // (resource-servers.ts) against the full list Gatehouse keeps.
    const oidcScopes = String(record.metadata.scope ?? '').split(' ').filter((s) => OIDC_SCOPES.has(s));
    if (oidcScopes.length) metadata.scope = oidcScopes.join(' ');
    else delete metadata.scope;
    const method = metadata.token_endpoint_auth_method;
    if (method === 'client_secret_basic' || method === 'client_secret_post') {
      // Unguessable without the database; and the comparison is replaced, so even it does not authenticate.
      metadata.client_secret = record.secretHashes[0]?.hash ?? 'no-active-secret';
    }
    return metadata;
  }
}
