// The consents table: what each user allowed each client, remembered across grants and sessions.
import type { Knex } from 'knex';

export interface ConsentRecord {
  accountId: string;
  clientId: string;
  oidcScopes: string[];
  oidcClaims: string[];
  resourceScopes: Record<string, string[]>;
  createdAt: Date;
  updatedAt: Date;
}

interface ConsentRow {
  account_id: string;
  client_id: string;
  oidc_scopes: string[];
  oidc_claims: string[];
  resource_scopes: Record<string, string[]>;
  created_at: Date;
  updated_at: Date;
}

export class ConsentRepository {
  constructor(private readonly knex: Knex) {}

  async find(accountId: string, clientId: string): Promise<ConsentRecord | undefined> {
    const row = await this.knex<ConsentRow>('consents').where({ account_id: accountId, client_id: clientId }).first();
    return row && toRecord(row);
  }

  async listByAccount(accountId: string): Promise<ConsentRecord[]> {
    const rows = await this.knex<ConsentRow>('consents').where({ account_id: accountId }).orderBy('updated_at', 'desc');
    return rows.map(toRecord);
  }

  async save(consent: Omit<ConsentRecord, 'createdAt' | 'updatedAt'>): Promise<void> {
    await this.knex('consents')
      .insert({
        account_id: consent.accountId,
        client_id: consent.clientId,
        oidc_scopes: consent.oidcScopes,
        oidc_claims: consent.oidcClaims,
        resource_scopes: JSON.stringify(consent.resourceScopes),
      })
      .onConflict(['account_id', 'client_id'])
      .merge({
        oidc_scopes: consent.oidcScopes,
        oidc_claims: consent.oidcClaims,
        resource_scopes: JSON.stringify(consent.resourceScopes),
        updated_at: this.knex.fn.now(),
      });
  }

  async delete(accountId: string, clientId: string): Promise<boolean> {
    return (await this.knex('consents').where({ account_id: accountId, client_id: clientId }).delete()) > 0;
  }
}

function toRecord(row: ConsentRow): ConsentRecord {
  return {
    accountId: row.account_id,
    clientId: row.client_id,
    oidcScopes: row.oidc_scopes,
    oidcClaims: row.oidc_claims,
    resourceScopes: row.resource_scopes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
