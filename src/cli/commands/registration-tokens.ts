// `gatehouse registration-tokens ...`: initial access tokens for dynamic client registration.
import { presentRegistrationToken } from '../../presenters/resources.js';
import { str, type Command } from '../command.js';
import { formatRecord, formatTable } from '../format.js';
import { booleanFilter, nextPageNote, PAGE_OPTIONS, PAGE_USAGE, pageOf, wholeNumber } from '../options.js';

export const registrationTokensCreateCommand: Command = {
  path: ['registration-tokens', 'create'],
  summary: 'Issue an initial access token for dynamic client registration; prints it once',
  usage: 'gatehouse registration-tokens create [--ttl SECONDS (default 86400)] [--uses N] [--description TEXT] [--json]',
  options: { ttl: { type: 'string' }, uses: { type: 'string' }, description: { type: 'string' } },
  async run(ctx, values) {
    const core = await ctx.core();
    const { token, record } = await core.registrationTokens.create({
      ttlSeconds: wholeNumber(values.ttl, 'ttl'),
      maxUses: wholeNumber(values.uses, 'uses'),
      description: str(values.description),
    });
    const shown = presentRegistrationToken(record, token);
    const mode = core.config.dynamicRegistration === 'token' ? '' : `\nNote: DYNAMIC_REGISTRATION is "${core.config.dynamicRegistration}" here; tokens are checked only when it is "token".`;
    return {
      json: shown,
      human: `Initial access token issued.\n${formatRecord(shown)}\n\nStore the token now: it is shown only once. Clients send it as "Authorization: Bearer <token>" to ${core.config.issuer}/reg.${mode}`,
    };
  },
};

export const registrationTokensListCommand: Command = {
  path: ['registration-tokens', 'list'],
  summary: 'List initial access tokens (never their values)',
  usage: `gatehouse registration-tokens list [--active true|false] ${PAGE_USAGE} [--json]`,
  options: { ...PAGE_OPTIONS, active: { type: 'string' } },
  async run(ctx, values) {
    const page = await (await ctx.core()).registrationTokens.listPage(pageOf(values), { active: booleanFilter(values.active, 'active') });
    const tokens = page.items.map((t) => presentRegistrationToken(t));
    const { next_cursor, note } = nextPageNote(page.next);
    return { json: { registration_tokens: tokens, next_cursor }, human: formatTable(tokens, ['id', 'description', 'expires_at', 'uses', 'max_uses', 'active']) + note };
  },
};

export const registrationTokensRevokeCommand: Command = {
  path: ['registration-tokens', 'revoke'],
  summary: 'Revoke an initial access token',
  usage: 'gatehouse registration-tokens revoke ID [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [id]) {
    await (await ctx.core()).registrationTokens.revoke(id!);
    return { json: { revoked: true, id }, human: `Revoked registration token ${id}.` };
  },
};
