// `gatehouse apis ...`: register, list, show and delete APIs (resource servers).
import { presentApi } from '../../presenters/resources.js';
import { str, UsageError, type Command } from '../command.js';
import { formatRecord, formatTable } from '../format.js';

function parseScopes(value: string | undefined, descriptions: string[]) {
  const names = (value ?? '').split(/\s+/).filter(Boolean);
  const described = new Map<string, string>();
  for (const entry of descriptions) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--scope-description must look like scope=text, got "${entry}"`);
    described.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return names.map((name) => ({ name, description: described.get(name) ?? null }));
}

function parseTtl(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError('--ttl must be a whole number of seconds');
  return Number(value);
}

export const apisCreateCommand: Command = {
  path: ['apis', 'create'],
  summary: 'Register an API that access tokens can be issued for',
  usage:
    'gatehouse apis create --identifier URI --scopes "read write" [--name NAME] [--ttl SECONDS] [--alg ES256|RS256|PS256|EdDSA] [--scope-description scope=text]...',
  options: {
    identifier: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    ttl: { type: 'string' },
    alg: { type: 'string' },
    'scope-description': { type: 'string', multiple: true },
  },
  async run(ctx, values) {
    const identifier = str(values.identifier);
    if (!identifier) throw new UsageError('--identifier is required');
    const core = await ctx.core();
    const api = await core.apis.create({
      identifier,
      name: str(values.name),
      scopes: parseScopes(str(values.scopes), (values['scope-description'] as string[] | undefined) ?? []),
      accessTokenTtl: parseTtl(str(values.ttl)),
      signingAlg: str(values.alg) as never,
    });
    const shown = presentApi(api);
    return { json: shown, human: `API registered.\n${formatRecord(shown)}` };
  },
};

export const apisListCommand: Command = {
  path: ['apis', 'list'],
  summary: 'List APIs',
  usage: 'gatehouse apis list [--json]',
  options: {},
  async run(ctx) {
    const apis = (await (await ctx.core()).apis.list()).map(presentApi);
    return { json: { apis }, human: formatTable(apis, ['identifier', 'name', 'scopes', 'access_token_ttl', 'signing_alg']) };
  },
};

export const apisShowCommand: Command = {
  path: ['apis', 'show'],
  summary: 'Show one API',
  usage: 'gatehouse apis show IDENTIFIER [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [identifier]) {
    const api = presentApi(await (await ctx.core()).apis.show(identifier!));
    return { json: api, human: formatRecord(api) };
  },
};

export const apisDeleteCommand: Command = {
  path: ['apis', 'delete'],
  summary: 'Delete an API (clients lose access to it; its resource-server clients are deleted)',
  usage: 'gatehouse apis delete IDENTIFIER [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [identifier]) {
    await (await ctx.core()).apis.delete(identifier!);
    return { json: { deleted: true, identifier }, human: `Deleted API ${identifier}.` };
  },
};
