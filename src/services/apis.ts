// Registering and removing APIs (resource servers), and telling every instance about it.
import type { Transactor } from '../db/transactor.js';
import { conflict, notFound } from '../errors/app-error.js';
import type { ApiRecord, ApiRepository } from '../repositories/apis.js';
import type { ClientRepository } from '../repositories/clients.js';
import { createApiSchema, type CreateApiInput } from '../schemas/api.js';
import { parseInput } from '../schemas/parse.js';
import { API_TOPIC, CLIENT_TOPIC } from './catalog.js';
import type { ChangeFeed } from './change-feed.js';
import { SIGNING_KEY_TOPIC } from './key-ring.js';
import type { SigningKeyService } from './signing-keys.js';

const UNIQUE_VIOLATION = '23505';

export class ApiService {
  constructor(
    private readonly deps: {
      apis: ApiRepository;
      clients: ClientRepository;
      transaction: Transactor;
      feed: ChangeFeed;
      keys: SigningKeyService;
      defaults: { accessTokenTtl: number; signingAlg: string };
    },
  ) {}

  async create(input: CreateApiInput): Promise<ApiRecord> {
    const parsed = parseInput(createApiSchema, input);
    const { apis, transaction, feed, keys, defaults } = this.deps;
    const signingAlg = parsed.signingAlg ?? defaults.signingAlg;
    // Every instance must be able to sign for this API before its first token is asked for.
    const createdKeys = await keys.ensureCurrentKeys([signingAlg]);
    if (createdKeys.length) await feed.publish({ topic: SIGNING_KEY_TOPIC, key: createdKeys.join(','), expiresAt: null });
    try {
      const [api, event] = await transaction(async (trx) => {
        const created = await apis.create(
          {
            identifier: parsed.identifier,
            name: parsed.name ?? parsed.identifier,
            accessTokenTtl: parsed.accessTokenTtl ?? defaults.accessTokenTtl,
            signingAlg,
            scopes: parsed.scopes.map((s) => ({ name: s.name, description: s.description ?? null })),
          },
          trx,
        );
        return [created, await feed.publish({ topic: API_TOPIC, key: created.identifier, expiresAt: null }, trx)] as const;
      });
      feed.deliver(event);
      return api;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw conflict(`an API with identifier ${parsed.identifier} already exists`);
      }
      throw error;
    }
  }

  list(): Promise<ApiRecord[]> {
    return this.deps.apis.list();
  }

  async show(identifier: string): Promise<ApiRecord> {
    const api = await this.deps.apis.findByIdentifier(identifier);
    if (!api) throw notFound(`no API with identifier ${identifier}`);
    return api;
  }

  async delete(identifier: string): Promise<void> {
    const { apis, clients, transaction, feed } = this.deps;
    const api = await this.show(identifier);
    const events = await transaction(async (trx) => {
      // Clients that named this API change too (their API list or introspection right goes).
      const affected = await clients.clientIdsUsingApi(api.id, trx);
      await apis.deleteByIdentifier(identifier, trx);
      return Promise.all([
        feed.publish({ topic: API_TOPIC, key: identifier, expiresAt: null }, trx),
        ...affected.map((clientId) => feed.publish({ topic: CLIENT_TOPIC, key: clientId, expiresAt: null }, trx)),
      ]);
    });
    for (const event of events) feed.deliver(event);
  }
}
