// The apis and api_scopes tables: the resource servers Gatehouse issues access tokens for.
import type { Knex } from 'knex';

export interface ApiScope {
  name: string;
  description: string | null;
}

export interface ApiRecord {
  id: string;
  identifier: string;
  name: string;
  accessTokenTtl: number;
  signingAlg: string;
  scopes: ApiScope[];
  createdAt: Date;
  updatedAt: Date;
}

export interface NewApi {
  identifier: string;
  name: string;
  accessTokenTtl: number;
  signingAlg: string;
  scopes: ApiScope[];
}

interface ApiRow {
  id: string;
  identifier: string;
  name: string;
  access_token_ttl: number;
  signing_alg: string;
  created_at: Date;
  updated_at: Date;
}

export class ApiRepository {
  constructor(private readonly knex: Knex) {}

  async create(api: NewApi, trx: Knex.Transaction): Promise<ApiRecord> {
    const [row] = (await trx('apis')
      .insert({ identifier: api.identifier, name: api.name, access_token_ttl: api.accessTokenTtl, signing_alg: api.signingAlg })
      .returning('*')) as ApiRow[];
    if (api.scopes.length) {
      await trx('api_scopes').insert(api.scopes.map((s) => ({ api_id: row!.id, name: s.name, description: s.description })));
    }
    return toRecord(row!, api.scopes);
  }

  async findByIdentifier(identifier: string): Promise<ApiRecord | undefined> {
    const row = await this.knex<ApiRow>('apis').where({ identifier }).first();
    if (!row) return undefined;
    return toRecord(row, await this.scopesOf([row.id]).then((m) => m.get(row.id) ?? []));
  }

  async findById(id: string): Promise<ApiRecord | undefined> {
    const row = await this.knex<ApiRow>('apis').where({ id }).first();
    if (!row) return undefined;
    return toRecord(row, await this.scopesOf([row.id]).then((m) => m.get(row.id) ?? []));
  }

  async list(): Promise<ApiRecord[]> {
    const rows = await this.knex<ApiRow>('apis').orderBy('identifier');
    const scopes = await this.scopesOf(rows.map((r) => r.id));
    return rows.map((row) => toRecord(row, scopes.get(row.id) ?? []));
  }

  async deleteByIdentifier(identifier: string, trx: Knex.Transaction): Promise<boolean> {
    return (await trx('apis').where({ identifier }).delete()) > 0;
  }

  private async scopesOf(apiIds: string[]): Promise<Map<string, ApiScope[]>> {
    const byApi = new Map<string, ApiScope[]>();
    if (!apiIds.length) return byApi;
    const rows = (await this.knex('api_scopes').whereIn('api_id', apiIds).orderBy('name')) as {
      api_id: string;
      name: string;
      description: string | null;
    }[];
    for (const row of rows) {
      byApi.set(row.api_id, [...(byApi.get(row.api_id) ?? []), { name: row.name, description: row.description }]);
    }
    return byApi;
  }
}

function toRecord(row: ApiRow, scopes: ApiScope[]): ApiRecord {
  return {
    id: row.id,
    identifier: row.identifier,
    name: row.name,
    accessTokenTtl: row.access_token_ttl,
    signingAlg: row.signing_alg,
    scopes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
