// `gatehouse roles ...`: the roles users hold and API scopes can be restricted to.
import { presentRole } from '../../presenters/resources.js';
import { str, UsageError, type Command } from '../command.js';
import { formatRecord, formatTable } from '../format.js';
import { nextPageNote, PAGE_OPTIONS, PAGE_USAGE, pageOf } from '../options.js';

export const rolesCreateCommand: Command = {
  path: ['roles', 'create'],
  summary: 'Create a role',
  usage: 'gatehouse roles create NAME [--description TEXT] [--json]',
  options: { description: { type: 'string' } },
  positionals: 1,
  async run(ctx, values, [name]) {
    const role = presentRole(await (await ctx.core()).roles.create({ name: name!, description: str(values.description) }));
    return { json: role, human: `Role created.\n${formatRecord(role)}` };
  },
};

export const rolesListCommand: Command = {
  path: ['roles', 'list'],
  summary: 'List roles (paginated)',
  usage: `gatehouse roles list [--search TEXT] ${PAGE_USAGE} [--json]`,
  options: { ...PAGE_OPTIONS, search: { type: 'string' } },
  async run(ctx, values) {
    const page = await (await ctx.core()).roles.listPage(pageOf(values), { q: str(values.search) });
    const roles = page.items.map(presentRole);
    const { next_cursor, note } = nextPageNote(page.next);
    return { json: { roles, next_cursor }, human: formatTable(roles, ['name', 'description', 'created_at']) + note };
  },
};

export const rolesShowCommand: Command = {
  path: ['roles', 'show'],
  summary: 'Show a role',
  usage: 'gatehouse roles show NAME [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [name]) {
    const role = presentRole(await (await ctx.core()).roles.show(name!));
    return { json: role, human: formatRecord(role) };
  },
};

export const rolesUpdateCommand: Command = {
  path: ['roles', 'update'],
  summary: "Change a role's description",
  usage: 'gatehouse roles update NAME (--description TEXT | --no-description) [--json]',
  options: { description: { type: 'string' }, 'no-description': { type: 'boolean' } },
  positionals: 1,
  async run(ctx, values, [name]) {
    const description = values['no-description'] === true ? null : str(values.description);
    if (description === undefined) throw new UsageError('nothing to change; give --description or --no-description');
    const role = presentRole(await (await ctx.core()).roles.update(name!, { description }));
    return { json: role, human: `Role updated.\n${formatRecord(role)}` };
  },
};

export const rolesDeleteCommand: Command = {
  path: ['roles', 'delete'],
  summary: 'Delete a role (refused while it restricts a scope)',
  usage: 'gatehouse roles delete NAME [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [name]) {
    await (await ctx.core()).roles.delete(name!);
    return { json: { deleted: true, name }, human: `Deleted role ${name}.` };
  },
};
