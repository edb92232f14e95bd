// Registering clients: validated metadata, a server-generated secret returned once and stored
// only as a keyed hash, and the APIs the client may ask for.
import { randomBytes } from 'node:crypto';

import type { Transactor } from '../db/transactor.js';
import { invalidInput, notFound } from '../errors/app-error.js';
import type { ApiRecord, ApiRepository } from '../repositories/apis.js';
import type { ClientMetadata, ClientRecord, ClientRepository } from '../repositories/clients.js';
import { createClientSchema, type CreateClientInput } from '../schemas/client.js';
import { parseInput } from '../schemas/parse.js';
import { classifyRedirectUri } from '../schemas/uris.js';
import { CLIENT_TOPIC } from './catalog.js';
import type { ChangeFeed } from './change-feed.js';
import { generateClientSecret, type ClientSecretHasher } from './client-secrets.js';

export const DEFAULT_OIDC_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'];

export interface CreatedClient {
  client: ClientRecord;
  /** The plain secret: shown once, never stored. Absent for public clients. */
  clientSecret: string | undefined;
}

export class ClientService {
  constructor(
    private readonly deps: {
      clients: ClientRepository;
      apis: ApiRepository;
      transaction: Transactor;
      feed: ChangeFeed;
      hasher: ClientSecretHasher;
    },
  ) {}

  async create(input: CreateClientInput, options: { dynamic?: boolean } = {}): Promise<CreatedClient> {
    const parsed = parseInput(createClientSchema, input);
    const apis = await this.resolveApis(parsed.apis, 'apis');
    const [introspectFor] = parsed.introspectFor ? await this.resolveApis([parsed.introspectFor], 'introspectFor') : [];

    const grantTypes =
      parsed.grantTypes ??
      (introspectFor ? [] : parsed.redirectUris.length ? ['authorization_code', 'refresh_token'] : ['client_credentials']);
    const usesBrowser = grantTypes.includes('authorization_code');
    const apiScopes = apis.flatMap((api) => api.scopes.map((s) => s.name));
    const scope = parsed.scope ?? [...(usesBrowser ? DEFAULT_OIDC_SCOPES : []), ...apiScopes].join(' ');
    const authMethod = parsed.public ? 'none' : (parsed.tokenEndpointAuthMethod ?? 'client_secret_basic');
    const clientId = randomAlphanumeric(22);
    const clientSecret = authMethod === 'client_secret_basic' || authMethod === 'client_secret_post' ? generateClientSecret() : undefined;

    const metadata: ClientMetadata = {
      client_name: parsed.name,
      application_type: parsed.redirectUris.some((uri) => kindOf(uri) === 'private-use') ? 'native' : 'web',
      redirect_uris: parsed.redirectUris,
      post_logout_redirect_uris: parsed.postLogoutRedirectUris,
      grant_types: grantTypes,
      response_types: usesBrowser ? ['code'] : [],
      token_endpoint_auth_method: authMethod,
      scope: scope || undefined,
      jwks_uri: parsed.jwksUri,
      logo_uri: parsed.logoUri,
      policy_uri: parsed.policyUri,
      tos_uri: parsed.tosUri,
    };
    for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];

    const { clients, transaction, feed, hasher } = this.deps;
    const event = await transaction(async (trx) => {
      await clients.create(
        {
          clientId,
          name: parsed.name,
          metadata,
          introspectForApiId: introspectFor?.id ?? null,
          isAdmin: parsed.isAdmin,
          dynamic: options.dynamic ?? false,
          apiIds: apis.map((api) => api.id),
          secretHash: clientSecret ? hasher.hash(clientSecret) : null,
        },
        trx,
      );
      return feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx);
    });
    feed.deliver(event);
    return { client: (await clients.find(clientId))!, clientSecret };
  }

  list(): Promise<ClientRecord[]> {
    return this.deps.clients.list();
  }

  async show(clientId: string): Promise<ClientRecord> {
    const client = await this.deps.clients.find(clientId);
    if (!client) throw notFound(`no client with id ${clientId}`);
    return client;
  }

  async delete(clientId: string): Promise<void> {
    const { clients, transaction, feed } = this.deps;
    const event = await transaction(async (trx) => {
      if (!(await clients.delete(clientId, trx))) throw notFound(`no client with id ${clientId}`);
      return feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx);
    });
    feed.deliver(event);
  }

  private async resolveApis(identifiers: string[], field: string): Promise<ApiRecord[]> {
    const found: ApiRecord[] = [];
    for (const identifier of new Set(identifiers)) {
      const api = await this.deps.apis.findByIdentifier(identifier);
      if (!api) throw invalidInput(`no API with identifier ${identifier}`, [{ path: field, message: `unknown API ${identifier}` }]);
      found.push(api);
    }
    return found;
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Letters and digits only (no leading "-" to confuse command lines); 22 characters carry about 131 bits. */
function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

function kindOf(uri: string): string | undefined {
  const result = classifyRedirectUri(uri);
  return 'kind' in result ? result.kind : undefined;
}
