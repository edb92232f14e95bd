// oidc-provider rebuilds its view of a stored client on every lookup: it asks the adapter for the
// metadata, then hashes their JSON to find the instance it made from the same metadata before.
// The catalog already holds one record object per client until the change feed replaces it, so
// the instance is kept with that record: a changed client (new record) gets a new instance.
import type Provider from 'oidc-provider';

import type { ClientRecord } from '../repositories/clients.js';

export interface ClientRecords {
  client(clientId: string): Promise<ClientRecord | undefined>;
}

export function reuseClientInstances(provider: Provider, records: ClientRecords): void {
  const Client = provider.Client as unknown as { find(id: unknown): Promise<unknown> };
  const find = Client.find.bind(Client);
  const instances = new WeakMap<ClientRecord, unknown>();
  Client.find = async (id: unknown) => {
    // Clients configured in the provider itself (the account page's) have no record.
    const record = typeof id === 'string' && id ? await records.client(id) : undefined;
    if (!record) return find(id);
    const known = instances.get(record);
    if (known) return known;
    const client = await find(id);
    if (client) instances.set(record, client);
    return client;
  };
}
