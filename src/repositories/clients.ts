// The clients, client_secrets and client_apis tables: registered applications, the hashes of their
// secrets, and the APIs each may request tokens for (in order; the first is its default).
import type { Knex } from 'knex';

export type ClientMetadata = Record<string, unknown>;

export interface ClientSecretHash {
  hash: string;
  expiresAt: Date | null;
}

export interface ClientRecord {
  clientId: string;
  name: string;
  metadata: ClientMetadata;
  /** The API whose tokens this resource-server client may introspect (and nothing else). */
  introspectFor: string | null;
  isAdmin: boolean;
  dynamic: boolean;
  /** Identifiers of the APIs this client may request, default first. */
  apis: string[];
  secretHashes: ClientSecretHash[];
  createdAt: Date;
  updatedAt: Date;
}

export interface NewClient {
  clientId: string;
  name: string;
  metadata: ClientMetadata;
  introspectForApiId: string | null;
  isAdmin: boolean;
  dynamic: boolean;
  apiIds: string[];
  secretHash: string | null;
}

interface ClientRow {
  client_id: string;
  name: string;
  metadata: ClientMetadata;
  introspect_for_api_id: string | null;
  introspect_for: string | null;
  is_admin: boolean;
  dynamic: boolean;
  created_at: Date;
  updated_at: Date;
}

export class ClientRepository {
  constructor(private readonly knex: Knex) {}

  async create(client: NewClient, trx: Knex.Transaction): Promise<void> {
    await trx('clients').insert({
      client_id: client.clientId,
      name: client.name,
      metadata: JSON.stringify(client.metadata),
      introspect_for_api_id: client.introspectForApiId,
      is_admin: client.isAdmin,
      dynamic: client.dynamic,
    });
    if (client.secretHash) {
      await trx('client_secrets').insert({ client_id: client.clientId, secret_hash: client.secretHash });
    }
    if (client.apiIds.length) {
      await trx('client_apis').insert(client.apiIds.map((apiId, position) => ({ client_id: client.clientId, api_id: apiId, position })));
    }
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const row = await this.baseQuery().where('c.client_id', clientId).first();
    if (!row) return undefined;
    const [record] = await this.hydrate([row]);
    return record;
  }

  async list(): Promise<ClientRecord[]> {
    return this.hydrate(await this.baseQuery().orderBy('c.created_at').orderBy('c.client_id'));
  }

  async delete(clientId: string, trx: Knex.Transaction): Promise<boolean> {
    return (await trx('clients').where({ client_id: clientId }).delete()) > 0;
  }

  /** Ids of the clients whose API list or introspection right names this API. */
  async clientIdsUsingApi(apiId: string, trx: Knex.Transaction): Promise<string[]> {
    const rows = (await trx('client_apis').where({ api_id: apiId }).select('client_id')
      .union((q) => q.from('clients').where({ introspect_for_api_id: apiId }).select('client_id'))) as { client_id: string }[];
    return rows.map((r) => r.client_id);
  }

  private baseQuery() {
    return this.knex<ClientRow>('clients as c')
      .leftJoin('apis as i', 'i.id', 'c.introspect_for_api_id')
      .select('c.*', 'i.identifier as introspect_for');
  }

  private async hydrate(rows: ClientRow[]): Promise<ClientRecord[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.client_id);
    const secrets = (await this.knex('client_secrets')
      .whereIn('client_id', ids)
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', this.knex.fn.now()))
      .orderBy('created_at', 'desc')
      .select('client_id', 'secret_hash', 'expires_at')) as { client_id: string; secret_hash: string; expires_at: Date | null }[];
    const apis = (await this.knex('client_apis as ca')
      .join('apis as a', 'a.id', 'ca.api_id')
      .whereIn('ca.client_id', ids)
      .orderBy('ca.position')
      .select('ca.client_id', 'a.identifier')) as { client_id: string; identifier: string }[];
    return rows.map((row) => ({
      clientId: row.client_id,
      name: row.name,
      metadata: row.metadata,
      introspectFor: row.introspect_for,
      isAdmin: row.is_admin,
      dynamic: row.dynamic,
      apis: apis.filter((a) => a.client_id === row.client_id).map((a) => a.identifier),
      secretHashes: secrets
        .filter((s) => s.client_id === row.client_id)
        .map((s) => ({ hash: s.secret_hash, expiresAt: s.expires_at })),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }
}
