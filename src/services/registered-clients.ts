// Clients that registered themselves (RFC 7591/7592), stored in the clients table like any other
// but marked dynamic. The metadata arrives already validated by the registration endpoint; here the
// secret is reduced to its hash and the requested API scopes are mapped onto the APIs open to
// dynamically registered clients.
import type { Transactor } from '../db/transactor.js';
import { invalidInput } from '../errors/app-error.js';
import type { ApiRecord, ApiRepository } from '../repositories/apis.js';
import type { ClientMetadata, ClientRepository } from '../repositories/clients.js';
import { SECRET_AUTH_METHODS } from '../schemas/client.js';
import { recordChange } from './actor.js';
import type { AuditLog } from './audit-log.js';
import { CLIENT_TOPIC } from './catalog.js';
import type { ChangeFeed } from './change-feed.js';
import { ClientSecretHasher } from './client-secrets.js';

/**
 * Client metadata property through which the registration endpoint hands over the API scopes a
 * client asked for (null: it named no scope, so it gets every scope of every open API).
 */
export const API_SCOPES_PROPERTY = 'gatehouse_api_scopes';

/** Properties of the library's metadata that are not stored (the secret only as a hash, elsewhere). */
const NOT_STORED = new Set(['client_id', 'client_secret', 'client_secret_expires_at', API_SCOPES_PROPERTY]);

export class RegisteredClientStore {
  constructor(
    private readonly deps: {
      clients: ClientRepository;
      apis: ApiRepository;
      transaction: Transactor;
      feed: ChangeFeed;
      hasher: ClientSecretHasher;
      audit: AuditLog;
    },
  ) {}

  async upsert(clientId: string, incoming: ClientMetadata): Promise<void> {
    const { clients, transaction, feed, hasher } = this.deps;
    const existing = await clients.find(clientId);
    if (existing && !existing.dynamic) throw new Error(`client ${clientId} was registered by an operator; dynamic registration may not change it`);

    const apis = await this.apisFor(incoming[API_SCOPES_PROPERTY]);
    const requestedApiScopes = incoming[API_SCOPES_PROPERTY];
    const apiScopes = Array.isArray(requestedApiScopes)
      ? requestedApiScopes.filter((s): s is string => typeof s === 'string')
      : apis.flatMap((api) => api.scopes.map((s) => s.name));
    const oidcScopes = typeof incoming.scope === 'string' ? incoming.scope.split(' ').filter(Boolean) : [];
    const metadata: ClientMetadata = Object.fromEntries(Object.entries(incoming).filter(([key, value]) => !NOT_STORED.has(key) && value !== undefined));
    const scope = [...new Set([...oidcScopes, ...apiScopes])].join(' ');
    if (scope) metadata.scope = scope;
    else delete metadata.scope;

    const secret = incoming.client_secret;
    const usesSecret = (SECRET_AUTH_METHODS as readonly unknown[]).includes(incoming.token_endpoint_auth_method);
    // The library hands back the stored hash when the secret did not change, and a new plain secret when it made one.
    const newSecretHash = usesSecret && typeof secret === 'string' && !ClientSecretHasher.isHash(secret) ? hasher.hash(secret) : undefined;
    if (usesSecret && !newSecretHash && !existing?.secretHashes.length) throw new Error('a client that authenticates with a secret needs one');

    const name = typeof incoming.client_name === 'string' && incoming.client_name.trim() ? incoming.client_name.trim().slice(0, 200) : clientId;
    const event = await transaction(async (trx) => {
      if (existing) {
        await clients.update(clientId, { name, metadata, introspectForApiId: null, apiIds: apis.map((a) => a.id) }, trx);
        if (newSecretHash || !usesSecret) await clients.deleteSecrets(clientId, trx);
        if (newSecretHash) await clients.addSecret(clientId, newSecretHash, trx);
      } else {
        await clients.create(
          { clientId, name, metadata, introspectForApiId: null, isAdmin: false, dynamic: true, apiIds: apis.map((a) => a.id), secretHash: newSecretHash ?? null },
          trx,
        );
      }
      return feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx);
    });
    feed.deliver(event);
    recordChange(this.deps.audit, existing ? 'client.updated' : 'client.created', { via: 'registration', clientId }, { clientId }, { name, dynamic: true, apis: apis.map((a) => a.identifier) });
  }

  async destroy(clientId: string): Promise<void> {
    const { clients, transaction, feed } = this.deps;
    const existing = await clients.find(clientId);
    if (!existing?.dynamic) return;
    const event = await transaction(async (trx) => {
      await clients.delete(clientId, trx);
      return feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx);
    });
    feed.deliver(event);
    recordChange(this.deps.audit, 'client.deleted', { via: 'registration', clientId }, { clientId }, { dynamic: true });
  }

  /** The open APIs owning the requested scopes (all open APIs for null); an unknown scope is an error. */
  private async apisFor(requested: unknown): Promise<ApiRecord[]> {
    const open = await this.deps.apis.listOpenToDynamicClients();
    if (!Array.isArray(requested)) return open;
    const scopes = requested.filter((s): s is string => typeof s === 'string');
    const unknown = scopes.filter((scope) => !open.some((api) => api.scopes.some((s) => s.name === scope)));
    if (unknown.length) {
      throw invalidInput(`scope ${unknown.join(' ')} is not available to dynamically registered clients`, [{ path: 'scope', message: `unknown or not offered: ${unknown.join(' ')}` }]);
    }
    return open.filter((api) => api.scopes.some((s) => scopes.includes(s.name)));
  }
}
