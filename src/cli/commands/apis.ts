// `gatehouse apis ...`: register, list, show, change and delete APIs (resource servers), and their scopes.
import { presentApi } from '../../presenters/resources.js';
import type { CreateApiInput, UpdateApiInput } from '../../schemas/api.js';
import { str, UsageError, type Command } from '../command.js';
import { formatRecord, formatTable } from '../format.js';
import { booleanFilter, nextPageNote, PAGE_OPTIONS, PAGE_USAGE, pageOf, splitList, wholeNumber } from '../options.js';

/** scope=value pairs of a repeated option, by scope. */
function pairs(entries: unknown, option: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of Array.isArray(entries) ? entries : []) {
    const text = String(entry);
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${option} must look like scope=value, got "${text}"`);
    found.set(text.slice(0, eq), text.slice(eq + 1));
  }
  return found;
}

function parseScopes(value: string | undefined, descriptions: unknown, roles: unknown) {
  const names = (value ?? '').split(/\s+/).filter(Boolean);
  const described = pairs(descriptions, 'scope-description');
  const restricted = pairs(roles, 'scope-roles');
  for (const scope of [...described.keys(), ...restricted.keys()]) {
    if (!names.includes(scope)) throw new UsageError(`scope ${scope} is not in --scopes`);
  }
  return names.map((name) => ({
    name,
    description: described.get(name) ?? null,
    ...(restricted.has(name) ? { roles: splitList(restricted.get(name)) ?? [] } : {}),
  }));
}

const optionalFlag = (values: Record<string, unknown>, on: string, off: string) => (values[on] === true ? true : values[off] === true ? false : undefined);

const API_HUMAN_COLUMNS = ['identifier', 'name', 'scopes', 'access_token_ttl', 'signing_alg', 'roles_claim', 'allow_dynamic_clients'];

export const apisCreateCommand: Command = {
  path: ['apis', 'create'],
  summary: 'Register an API that access tokens can be issued for',
  usage: [
    'gatehouse apis create --identifier URI --scopes "read write" [--name NAME] [--ttl SECONDS] [--alg ES256|RS256|PS256|EdDSA]',
    '    [--scope-description scope=text]... [--scope-roles scope=role1,role2]... [--roles-claim] [--allow-dynamic-clients]',
    '',
    '  --scope-roles          only users with one of these roles may be granted the scope',
    '  --roles-claim          access tokens for this API carry the user\'s roles (claim "roles")',
    '  --allow-dynamic-clients  dynamically registered clients may ask for this API\'s scopes',
  ].join('\n'),
  options: {
    identifier: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    ttl: { type: 'string' },
    alg: { type: 'string' },
    'scope-description': { type: 'string', multiple: true },
    'scope-roles': { type: 'string', multiple: true },
    'roles-claim': { type: 'boolean' },
    'allow-dynamic-clients': { type: 'boolean' },
  },
  async run(ctx, values) {
    const identifier = str(values.identifier);
    if (!identifier) throw new UsageError('--identifier is required');
    const scopes = parseScopes(str(values.scopes), values['scope-description'], values['scope-roles']);
    const core = await ctx.core();
    const api = await core.apis.create({
      identifier,
      name: str(values.name),
      scopes,
      accessTokenTtl: wholeNumber(values.ttl, 'ttl'),
      signingAlg: str(values.alg) as CreateApiInput['signingAlg'],
      rolesClaim: values['roles-claim'] === true,
      allowDynamicClients: values['allow-dynamic-clients'] === true,
    });
    const shown = presentApi(api);
    return { json: shown, human: `API registered.\n${formatRecord(shown)}` };
  },
};

export const apisListCommand: Command = {
  path: ['apis', 'list'],
  summary: 'List APIs (paginated)',
  usage: `gatehouse apis list [--search TEXT] [--dynamic-clients true|false] ${PAGE_USAGE} [--json]`,
  options: { ...PAGE_OPTIONS, search: { type: 'string' }, 'dynamic-clients': { type: 'string' } },
  async run(ctx, values) {
    const page = await (await ctx.core()).apis.listPage(pageOf(values), {
      q: str(values.search),
      allowDynamicClients: booleanFilter(values['dynamic-clients'], 'dynamic-clients'),
    });
    const apis = page.items.map(presentApi);
    const { next_cursor, note } = nextPageNote(page.next);
    return { json: { apis, next_cursor }, human: formatTable(apis, API_HUMAN_COLUMNS) + note };
  },
};

export const apisShowCommand: Command = {
  path: ['apis', 'show'],
  summary: 'Show one API (by identifier or id)',
  usage: 'gatehouse apis show IDENTIFIER [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [identifier]) {
    const api = presentApi(await (await ctx.core()).apis.show(identifier!));
    return { json: api, human: formatRecord(api) };
  },
};

export const apisUpdateCommand: Command = {
  path: ['apis', 'update'],
  summary: 'Change an API; options left out stay as they are',
  usage: [
    'gatehouse apis update IDENTIFIER [--name NAME] [--ttl SECONDS] [--alg ES256|RS256|PS256|EdDSA]',
    '    [--roles-claim|--no-roles-claim] [--allow-dynamic-clients|--no-allow-dynamic-clients] [--json]',
  ].join('\n'),
  options: {
    name: { type: 'string' },
    ttl: { type: 'string' },
    alg: { type: 'string' },
    'roles-claim': { type: 'boolean' },
    'no-roles-claim': { type: 'boolean' },
    'allow-dynamic-clients': { type: 'boolean' },
    'no-allow-dynamic-clients': { type: 'boolean' },
  },
  positionals: 1,
  async run(ctx, values, [identifier]) {
    const changes: UpdateApiInput = {
      name: str(values.name),
      accessTokenTtl: wholeNumber(values.ttl, 'ttl'),
      signingAlg: str(values.alg) as UpdateApiInput['signingAlg'],
      rolesClaim: optionalFlag(values, 'roles-claim', 'no-roles-claim'),
      allowDynamicClients: optionalFlag(values, 'allow-dynamic-clients', 'no-allow-dynamic-clients'),
    };
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as UpdateApiInput;
    if (!Object.keys(given).length) throw new UsageError('nothing to change; see gatehouse apis update --help');
    const api = presentApi(await (await ctx.core()).apis.update(identifier!, given));
    return { json: api, human: `API updated.\n${formatRecord(api)}` };
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

export const apisScopesListCommand: Command = {
  path: ['apis', 'scopes', 'list'],
  summary: "List an API's scopes with their descriptions and roles",
  usage: 'gatehouse apis scopes list IDENTIFIER [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [identifier]) {
    const api = await (await ctx.core()).apis.show(identifier!);
    const scopes = api.scopes.map((s) => ({ name: s.name, description: s.description, roles: s.roles }));
    return { json: { identifier: api.identifier, scopes }, human: formatTable(scopes, ['name', 'description', 'roles']) };
  },
};

export const apisScopesSetCommand: Command = {
  path: ['apis', 'scopes', 'set'],
  summary: 'Create or replace one scope of an API: its description and the roles it is restricted to',
  usage: 'gatehouse apis scopes set IDENTIFIER SCOPE [--description TEXT] [--roles "role1,role2"] [--json]\n\n  Without --roles any user may be granted the scope.',
  options: { description: { type: 'string' }, roles: { type: 'string' } },
  positionals: 2,
  async run(ctx, values, [identifier, scope]) {
    const api = presentApi(
      await (await ctx.core()).apis.putScope(identifier!, scope!, { description: str(values.description) ?? null, roles: splitList(values.roles) ?? [] }),
    );
    return { json: api, human: `Scope ${scope} set.\n${formatRecord(api)}` };
  },
};

export const apisScopesDeleteCommand: Command = {
  path: ['apis', 'scopes', 'delete'],
  summary: 'Remove one scope from an API',
  usage: 'gatehouse apis scopes delete IDENTIFIER SCOPE [--json]',
  options: {},
  positionals: 2,
  async run(ctx, _values, [identifier, scope]) {
    const api = presentApi(await (await ctx.core()).apis.deleteScope(identifier!, scope!));
    return { json: api, human: `Scope ${scope} removed.\n${formatRecord(api)}` };
  },
};
