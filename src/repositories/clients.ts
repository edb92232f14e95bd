// The clients, client_secrets and client_apis tables: registered applications, the hashes of their
// secrets, and the APIs each may request tokens for (in order; the first is its default).
import type { Knex } from 'knex';

import { escapeLike } from './apis.js';
import { applyKeyset, toPage, type Page, type PageRequest } from './keyset-page.js';

export type ClientMetadata = Record<string, unknown>;

export interface ClientSecretHash {
  hash: string;
  expiresAt: Date | null;
  createdAt: Date;
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

export interface ClientChanges {
  name: string;
  metadata: ClientMetadata;
  introspectForApiId: string | null;
  apiIds: string[];
}

export interface ClientFilter {
  /** Substring of the name or client_id, case-insensitive. */
  q?: string | undefined;
  dynamic?: boolean | undefined;
  isAdmin?: boolean | undefined;
  /** Clients that may request tokens for this API (by identifier). */
  api?: string | undefined;
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

  async find(clientId: string, trx: Knex | Knex.Transaction = this.knex): Promise<ClientRecord | undefined> {
    const row = await this.baseQuery(trx).where('c.client_id', clientId).first();
    if (!row) return undefined;
    const [record] = await this.hydrate([row], trx);
    return record;
  }

  /** Every registered redirect URI of every client (for the CORS policy). */
  async allRedirectUris(): Promise<string[]> {
    const rows: { metadata: ClientMetadata }[] = await this.knex('clients').select('metadata');
    return rows.flatMap((row) => (Array.isArray(row.metadata.redirect_uris) ? row.metadata.redirect_uris.filter((uri): uri is string => typeof uri === 'string') : []));
  }

  async list(): Promise<ClientRecord[]> {
    return this.hydrate(await this.baseQuery().orderBy('c.created_at').orderBy('c.client_id'));
  }

  async listPage(page: PageRequest, filter: ClientFilter = {}): Promise<Page<ClientRecord>> {
    const query = this.baseQuery();
    if (filter.q) {
      const like = `%${escapeLike(filter.q)}%`;
      query.where((q) => q.whereILike('c.name', like).orWhereILike('c.client_id', like));
    }
    if (filter.dynamic !== undefined) query.where('c.dynamic', filter.dynamic);
    if (filter.isAdmin !== undefined) query.where('c.is_admin', filter.isAdmin);
    if (filter.api) {
      const identifier = filter.api;
      query.whereExists((q) => q.from('client_apis as ca').join('apis as a', 'a.id', 'ca.api_id').whereRaw('ca.client_id = c.client_id').where('a.identifier', identifier));
    }
    applyKeyset(this.knex, query, { createdAt: 'c.created_at', id: 'c.client_id' }, page);
    const rows = (await query) as (ClientRow & Record<string, unknown>)[];
    return toPage(rows, page, (row) => row.client_id, (kept) => this.hydrate(kept));
  }

  /** Replaces the client's registration (name, metadata, APIs); secrets are left alone. */
  async update(clientId: string, changes: ClientChanges, trx: Knex.Transaction): Promise<boolean> {
    const updated = await trx('clients')
      .where({ client_id: clientId })
      .update({
        name: changes.name,
        metadata: JSON.stringify(changes.metadata),
        introspect_for_api_id: changes.introspectForApiId,
        updated_at: trx.fn.now(),
      });
    if (!updated) return false;
    await trx('client_apis').where({ client_id: clientId }).delete();
    if (changes.apiIds.length) {
      await trx('client_apis').insert(changes.apiIds.map((apiId, position) => ({ client_id: clientId, api_id: apiId, position })));
    }
    return true;
  }

  async addSecret(clientId: string, secretHash: string, trx: Knex.Transaction): Promise<void> {
    await trx('client_secrets').insert({ client_id: clientId, secret_hash: secretHash });
  }

  /** Lets every active secret live until `at` at the latest (now: at once); drops ones already expired. */
  async expireSecrets(clientId: string, at: Date, trx: Knex.Transaction): Promise<void> {
    await trx('client_secrets').where({ client_id: clientId }).andWhere('expires_at', '<=', trx.fn.now()).delete();
    await trx('client_secrets')
      .where({ client_id: clientId })
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', at))
      .update({ expires_at: at });
  }

  async deleteSecrets(clientId: string, trx: Knex.Transaction): Promise<void> {
    await trx('client_secrets').where({ client_id: clientId }).delete();
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

  private baseQuery(db: Knex | Knex.Transaction = this.knex) {
    return db<ClientRow>('clients as c')
      .leftJoin('apis as i', 'i.id', 'c.introspect_for_api_id')
      .select('c.*', 'i.identifier as introspect_for');
  }

  private async hydrate(rows: ClientRow[], db: Knex | Knex.Transaction = this.knex): Promise<ClientRecord[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.client_id);
    const secrets = (await db('client_secrets')
      .whereIn('client_id', ids)
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
      .orderBy('created_at', 'desc')
      .select('client_id', 'secret_hash', 'expires_at', 'created_at')) as { client_id: string; secret_hash: string; expires_at: Date | null; created_at: Date }[];
    const apis = (await db('client_apis as ca')
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
        .map((s) => ({ hash: s.secret_hash, expiresAt: s.expires_at, createdAt: s.created_at })),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }
}
