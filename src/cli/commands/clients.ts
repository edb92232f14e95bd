// `gatehouse clients ...`: register, list, show and delete clients.
import { GRANT_TYPES } from '../../schemas/client.js';
import { presentClient } from '../../presenters/resources.js';
import { list, str, UsageError, type Command } from '../command.js';
import { formatRecord, formatTable } from '../format.js';

export const clientsCreateCommand: Command = {
  path: ['clients', 'create'],
  summary: 'Register a client; prints its client_secret once',
  usage: [
    'gatehouse clients create --name NAME [--redirect-uri URI]... [--post-logout-redirect-uri URI]...',
    '    [--grant-types authorization_code,refresh_token,client_credentials] [--scope "openid profile email a b"]',
    '    [--public] [--api URI]... [--introspect-for URI] [--auth-method client_secret_basic|client_secret_post]',
    '    [--logo-uri URL] [--policy-uri URL] [--tos-uri URL]',
    '',
    '  --api URI             the client may request tokens for this API (the first is its default)',
    '  --introspect-for URI  a resource server\'s own client: may introspect tokens for that API, nothing else',
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
    'logo-uri': { type: 'string' },
    'policy-uri': { type: 'string' },
    'tos-uri': { type: 'string' },
    admin: { type: 'boolean' },
  },
  async run(ctx, values) {
    const name = str(values.name);
    if (!name) throw new UsageError('--name is required');
    const grantTypes = str(values['grant-types'])?.split(',').map((g) => g.trim()).filter(Boolean);
    for (const grant of grantTypes ?? []) {
      if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
        throw new UsageError(`unknown grant type "${grant}" (allowed: ${GRANT_TYPES.join(', ')})`);
      }
    }
    const core = await ctx.core();
    const { client, clientSecret } = await core.clients.create({
      name,
      redirectUris: list(values['redirect-uri']),
      postLogoutRedirectUris: list(values['post-logout-redirect-uri']),
      grantTypes: grantTypes as never,
      scope: str(values.scope),
      public: values.public === true,
      apis: list(values.api),
      introspectFor: str(values['introspect-for']),
      tokenEndpointAuthMethod: str(values['auth-method']) as never,
      logoUri: str(values['logo-uri']),
      policyUri: str(values['policy-uri']),
      tosUri: str(values['tos-uri']),
      isAdmin: values.admin === true,
    });
    const shown = presentClient(client, clientSecret);
    const note = clientSecret ? '\n\nStore the client_secret now: it is shown only once and cannot be recovered.' : '';
    return { json: shown, human: `Client registered.\n${formatRecord(shown)}${note}` };
  },
};

export const clientsListCommand: Command = {
  path: ['clients', 'list'],
  summary: 'List clients',
  usage: 'gatehouse clients list [--json]',
  options: {},
  async run(ctx) {
    const clients = (await (await ctx.core()).clients.list()).map((c) => presentClient(c));
    return { json: { clients }, human: formatTable(clients, ['client_id', 'name', 'grant_types', 'apis', 'introspect_for']) };
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
