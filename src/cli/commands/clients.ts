// `gatehouse clients ...`: register, list, show, change, delete clients and rotate their secrets.
import { presentClient } from '../../presenters/resources.js';
import { GRANT_TYPES, type CreateClientInput, type UpdateClientInput } from '../../schemas/client.js';
import { list, str, UsageError, type Command } from '../command.js';
import { formatRecord, formatTable } from '../format.js';
import { PROFILE_OPTIONS, PROFILE_USAGE, profileInput } from '../client-profile-options.js';
import { booleanFilter, nextPageNote, PAGE_OPTIONS, PAGE_USAGE, pageOf, wholeNumber } from '../options.js';

const SECRET_NOTE = '\n\nStore the client_secret now: it is shown only once and cannot be recovered.';

function grantTypesOf(value: unknown): CreateClientInput['grantTypes'] {
  const grantTypes = str(value)?.split(',').map((g) => g.trim()).filter(Boolean);
  for (const grant of grantTypes ?? []) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
      throw new UsageError(`unknown grant type "${grant}" (allowed: ${GRANT_TYPES.join(', ')})`);
    }
  }
  return grantTypes as CreateClientInput['grantTypes'];
}

export const clientsCreateCommand: Command = {
  path: ['clients', 'create'],
  summary: 'Register a client; prints its client_secret once',
  usage: [
    'gatehouse clients create --name NAME [--redirect-uri URI]... [--post-logout-redirect-uri URI]...',
    '    [--grant-types authorization_code,refresh_token,client_credentials] [--scope "openid profile email a b"]',
    '    [--public] [--api URI]... [--introspect-for URI] [--auth-method client_secret_basic|client_secret_post|private_key_jwt]',
    '    [--jwks-uri URL] [--logo-uri URL] [--policy-uri URL] [--tos-uri URL] [--admin]',
    PROFILE_USAGE,
    '',
    '  --api URI             the client may request tokens for this API (the first is its default)',
    '  --introspect-for URI  a resource server\'s own client: may introspect tokens for that API, nothing else',
    '  --admin               an admin client: client_credentials tokens for the admin API (scope admin:read admin:write,',
    '                        or narrower with --scope admin:read)',
  ].join('\n'),
  options: {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'grant-types': { type: 'string' },
    scope: { type: 'string' },
    public: { type: 'boolean' },
    api: { type: 'string', multiple: true },
    'introspect-for': { type: 'string' },
    'auth-method': { type: 'string' },
    'jwks-uri': { type: 'string' },
    'logo-uri': { type: 'string' },
    'policy-uri': { type: 'string' },
    'tos-uri': { type: 'string' },
    admin: { type: 'boolean' },
    ...PROFILE_OPTIONS,
  },
  async run(ctx, values) {
    const name = str(values.name) ?? (values.admin === true ? 'Admin client' : undefined);
    if (!name) throw new UsageError('--name is required');
    const grantTypes = grantTypesOf(values['grant-types']);
    const core = await ctx.core();
    const { client, clientSecret } = await core.clients.create({
      name,
      redirectUris: list(values['redirect-uri']),
      postLogoutRedirectUris: list(values['post-logout-redirect-uri']),
      grantTypes,
      scope: str(values.scope),
      public: values.public === true,
      apis: list(values.api),
      introspectFor: str(values['introspect-for']),
      tokenEndpointAuthMethod: str(values['auth-method']) as CreateClientInput['tokenEndpointAuthMethod'],
      jwksUri: str(values['jwks-uri']),
      logoUri: str(values['logo-uri']),
      policyUri: str(values['policy-uri']),
      tosUri: str(values['tos-uri']),
      isAdmin: values.admin === true,
      ...profileInput(values),
    });
    const shown = presentClient(client, clientSecret);
    const adminNote = client.isAdmin
      ? `\n\nGet an admin API token with: curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials -d resource=${core.adminApi} -d scope="${String(client.metadata.scope)}" ${core.config.issuer}/token`
      : '';
    return { json: shown, human: `Client registered.\n${formatRecord(shown)}${clientSecret ? SECRET_NOTE : ''}${adminNote}` };
  },
};

export const clientsListCommand: Command = {
  path: ['clients', 'list'],
  summary: 'List clients (paginated, filterable)',
  usage: `gatehouse clients list [--search TEXT] [--dynamic true|false] [--admin true|false] [--api URI] ${PAGE_USAGE} [--json]`,
  options: { ...PAGE_OPTIONS, search: { type: 'string' }, dynamic: { type: 'string' }, admin: { type: 'string' }, api: { type: 'string' } },
  async run(ctx, values) {
    const page = await (await ctx.core()).clients.listPage(pageOf(values), {
      q: str(values.search),
      dynamic: booleanFilter(values.dynamic, 'dynamic'),
      isAdmin: booleanFilter(values.admin, 'admin'),
      api: str(values.api),
    });
    const clients = page.items.map((c) => presentClient(c));
    const { next_cursor, note } = nextPageNote(page.next);
    return {
      json: { clients, next_cursor },
      human: formatTable(clients, ['client_id', 'name', 'grant_types', 'apis', 'introspect_for', 'is_admin', 'dynamic']) + note,
    };
  },
};

export const clientsShowCommand: Command = {
  path: ['clients', 'show'],
  summary: 'Show one client (never its secret)',
  usage: 'gatehouse clients show CLIENT_ID [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [clientId]) {
    const client = presentClient(await (await ctx.core()).clients.show(clientId!));
    return { json: client, human: formatRecord(client) };
  },
};

export const clientsUpdateCommand: Command = {
  path: ['clients', 'update'],
  summary: 'Change a client; options left out stay as they are',
  usage: [
    'gatehouse clients update CLIENT_ID [--name NAME] [--redirect-uri URI]... [--post-logout-redirect-uri URI]...',
    '    [--grant-types G1,G2] [--scope "a b"] [--api URI]... [--auth-method client_secret_basic|client_secret_post]',
    '    [--jwks-uri URL|--no-jwks-uri] [--logo-uri URL|--no-logo-uri] [--policy-uri URL|--no-policy-uri] [--tos-uri URL|--no-tos-uri]',
    PROFILE_USAGE,
    '',
    '  Repeated options (--redirect-uri, --api) replace the whole list. New --api or --grant-types without --scope',
    '  keep the scope, less what no longer applies; an API added brings its scopes. The profile options switch',
    '  requirements on; to switch one off, PATCH the client in the admin API.',
  ].join('\n'),
  options: {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'grant-types': { type: 'string' },
    scope: { type: 'string' },
    api: { type: 'string', multiple: true },
    'auth-method': { type: 'string' },
    'jwks-uri': { type: 'string' },
    'logo-uri': { type: 'string' },
    'policy-uri': { type: 'string' },
    'tos-uri': { type: 'string' },
    'no-jwks-uri': { type: 'boolean' },
    'no-logo-uri': { type: 'boolean' },
    'no-policy-uri': { type: 'boolean' },
    'no-tos-uri': { type: 'boolean' },
    ...PROFILE_OPTIONS,
  },
  positionals: 1,
  async run(ctx, values, [clientId]) {
    const link = (option: string) => (values[`no-${option}`] === true ? null : str(values[option]));
    const changes: UpdateClientInput = {
      name: str(values.name),
      redirectUris: values['redirect-uri'] ? list(values['redirect-uri']) : undefined,
      postLogoutRedirectUris: values['post-logout-redirect-uri'] ? list(values['post-logout-redirect-uri']) : undefined,
      grantTypes: grantTypesOf(values['grant-types']),
      scope: str(values.scope),
      apis: values.api ? list(values.api) : undefined,
      tokenEndpointAuthMethod: str(values['auth-method']) as UpdateClientInput['tokenEndpointAuthMethod'],
      jwksUri: link('jwks-uri'),
      logoUri: link('logo-uri'),
      policyUri: link('policy-uri'),
      tosUri: link('tos-uri'),
      ...profileInput(values),
    };
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as UpdateClientInput;
    if (!Object.keys(given).length) throw new UsageError('nothing to change; see gatehouse clients update --help');
    const client = presentClient(await (await ctx.core()).clients.update(clientId!, given));
    return { json: client, human: `Client updated.\n${formatRecord(client)}` };
  },
};

export const clientsRotateSecretCommand: Command = {
  path: ['clients', 'rotate-secret'],
  summary: 'Issue a new client secret (printed once); the old one stops at once or after --overlap seconds',
  usage: 'gatehouse clients rotate-secret CLIENT_ID [--overlap SECONDS] [--json]',
  options: { overlap: { type: 'string' } },
  positionals: 1,
  async run(ctx, values, [clientId]) {
    const overlapSeconds = wholeNumber(values.overlap, 'overlap');
    const { client, clientSecret } = await (await ctx.core()).clients.rotateSecret(clientId!, overlapSeconds === undefined ? {} : { overlapSeconds });
    const shown = presentClient(client, clientSecret);
    const overlap = overlapSeconds ? `\nThe previous secret keeps working for ${overlapSeconds} seconds.` : '\nThe previous secret no longer works.';
    return { json: shown, human: `New secret issued.\n${formatRecord(shown)}${overlap}${SECRET_NOTE}` };
  },
};

export const clientsDeleteCommand: Command = {
  path: ['clients', 'delete'],
  summary: 'Delete a client',
  usage: 'gatehouse clients delete CLIENT_ID [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [clientId]) {
    await (await ctx.core()).clients.delete(clientId!);
    return { json: { deleted: true, client_id: clientId }, human: `Deleted client ${clientId}.` };
  },
};
