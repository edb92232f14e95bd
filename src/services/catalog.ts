// Clients and APIs as the hot path sees them: read from the database once, then served from
// memory until the change feed says they changed (on this instance or any other).
import type { ApiRecord, ApiRepository } from '../repositories/apis.js';
import type { ClientRecord, ClientRepository } from '../repositories/clients.js';
import type { ChangeFeed } from './change-feed.js';
import { originOf } from '../oidc/cors.js';
import { LookupCache } from './lookup-cache.js';

export const CLIENT_TOPIC = 'client';
export const API_TOPIC = 'api';

export class Catalog {
  private readonly clients: LookupCache<ClientRecord>;
  private readonly apis: LookupCache<ApiRecord>;
  private origins: Promise<Set<string>> | undefined;

  constructor(clientRepository: ClientRepository, apiRepository: ApiRepository, feed: ChangeFeed) {
    this.clients = new LookupCache((id) => clientRepository.find(id));
    this.apis = new LookupCache((identifier) => apiRepository.findByIdentifier(identifier));
    feed.on(CLIENT_TOPIC, (event) => {
      this.clients.invalidate(event.key);
      this.origins = undefined;
    });
    this.loadOrigins = async () => new Set((await clientRepository.allRedirectUris()).map(originOf).filter((o): o is string => Boolean(o)));
    feed.on(API_TOPIC, (event) => this.apis.invalidate(event.key));
  }

  private readonly loadOrigins: () => Promise<Set<string>>;

  /** The origins of every client's registered redirect URIs, kept until a client changes. */
  redirectOrigins(): Promise<Set<string>> {
    const pending = (this.origins ??= this.loadOrigins().catch((error: unknown) => {
      this.origins = undefined;
      throw error;
    }));
    return pending;
  }

  client(clientId: string): Promise<ClientRecord | undefined> {
    return this.clients.get(clientId);
  }

  api(identifier: string): Promise<ApiRecord | undefined> {
    return this.apis.get(identifier);
  }
}
