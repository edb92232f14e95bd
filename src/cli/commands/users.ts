// `gatehouse users ...`: create, list, show, change, disable, delete users, set their passwords and
// roles. Passwords come from stdin, never the command line.
import { presentUser } from '../../presenters/resources.js';
import type { UpdateUserInput } from '../../schemas/user.js';
import { list, str, UsageError, type CliIo, type Command } from '../command.js';
import { formatRecord, formatTable } from '../format.js';
import { booleanFilter, nextPageNote, PAGE_OPTIONS, PAGE_USAGE, pageOf, splitList } from '../options.js';

const USER_COLUMNS = ['id', 'username', 'email', 'name', 'roles', 'disabled'];

async function readPassword(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > 4096) throw new UsageError('the password on stdin is too long');
    chunks.push(buffer);
  }
  // One trailing newline (from echo or a here-string) is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function refusePasswordArgument(values: Record<string, unknown>): void {
  if (values.password !== undefined) {
    throw new UsageError('passwords are never accepted on the command line (they end up in shell history and ps); use --password-stdin');
  }
}

export const usersCreateCommand: Command = {
  path: ['users', 'create'],
  summary: 'Create a user; the password is read from stdin',
  usage: 'gatehouse users create --username U [--email E] [--name N] [--email-verified] [--role R]... --password-stdin|--no-password',
  options: {
    username: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    'email-verified': { type: 'boolean' },
    role: { type: 'string', multiple: true },
    'password-stdin': { type: 'boolean' },
    'no-password': { type: 'boolean' },
    password: { type: 'string' },
  },
  async run(ctx, values) {
    refusePasswordArgument(values);
    if (values['password-stdin'] !== true && values['no-password'] !== true) throw new UsageError('--password-stdin is required (or --no-password for a user who cannot sign in yet)');
    const username = str(values.username);
    if (!username) throw new UsageError('--username is required');
    const password = values['password-stdin'] === true ? await readPassword(ctx.io) : undefined;
    const core = await ctx.core();
    const created = await core.users.create({
      username,
      email: str(values.email),
      name: str(values.name),
      emailVerified: values['email-verified'] === true,
      password,
      roles: list(values.role),
    });
    const user = presentUser(await core.users.show(created.id));
    return { json: user, human: `User created.\n${formatRecord(user)}` };
  },
};

export const usersListCommand: Command = {
  path: ['users', 'list'],
  summary: 'List users (paginated, filterable)',
  usage: `gatehouse users list [--search TEXT] [--disabled true|false] [--role ROLE] ${PAGE_USAGE} [--json]`,
  options: { ...PAGE_OPTIONS, search: { type: 'string' }, disabled: { type: 'string' }, role: { type: 'string' } },
  async run(ctx, values) {
    const page = await (await ctx.core()).users.listPage(pageOf(values), {
      q: str(values.search),
      disabled: booleanFilter(values.disabled, 'disabled'),
      role: str(values.role),
    });
    const users = page.items.map(presentUser);
    const { next_cursor, note } = nextPageNote(page.next);
    return { json: { users, next_cursor }, human: formatTable(users, USER_COLUMNS) + note };
  },
};

export const usersShowCommand: Command = {
  path: ['users', 'show'],
  summary: 'Show one user (by id or username)',
  usage: 'gatehouse users show USER [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [ref]) {
    const user = presentUser(await (await ctx.core()).users.show(ref!));
    return { json: user, human: formatRecord(user) };
  },
};

export const usersUpdateCommand: Command = {
  path: ['users', 'update'],
  summary: 'Change a user; options left out stay as they are',
  usage: 'gatehouse users update USER [--email E|--no-email] [--name N|--no-name] [--email-verified|--email-unverified] [--json]',
  options: {
    email: { type: 'string' },
    'no-email': { type: 'boolean' },
    name: { type: 'string' },
    'no-name': { type: 'boolean' },
    'email-verified': { type: 'boolean' },
    'email-unverified': { type: 'boolean' },
  },
  positionals: 1,
  async run(ctx, values, [ref]) {
    const changes: UpdateUserInput = {
      email: values['no-email'] === true ? null : str(values.email),
      name: values['no-name'] === true ? null : str(values.name),
      emailVerified: values['email-verified'] === true ? true : values['email-unverified'] === true ? false : undefined,
    };
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as UpdateUserInput;
    if (!Object.keys(given).length) throw new UsageError('nothing to change; see gatehouse users update --help');
    const user = presentUser(await (await ctx.core()).users.update(ref!, given));
    return { json: user, human: `User updated.\n${formatRecord(user)}` };
  },
};

function disabledCommand(disabled: boolean): Command {
  const verb = disabled ? 'disable' : 'enable';
  return {
    path: ['users', verb],
    summary: disabled ? 'Disable a user: sign-in refused, sessions ended, grants and tokens revoked' : 'Enable a disabled user again',
    usage: `gatehouse users ${verb} USER [--json]`,
    options: {},
    positionals: 1,
    async run(ctx, _values, [ref]) {
      const user = presentUser(await (await ctx.core()).users.update(ref!, { disabled }));
      return { json: user, human: `User ${user.username} ${disabled ? 'disabled' : 'enabled'}.` };
    },
  };
}

export const usersDisableCommand = disabledCommand(true);
export const usersEnableCommand = disabledCommand(false);

export const usersDeleteCommand: Command = {
  path: ['users', 'delete'],
  summary: 'Delete a user (their sessions end and their grants are revoked first)',
  usage: 'gatehouse users delete USER [--json]',
  options: {},
  positionals: 1,
  async run(ctx, _values, [ref]) {
    const core = await ctx.core();
    const user = await core.users.show(ref!);
    await core.users.delete(user.id);
    return { json: { deleted: true, id: user.id, username: user.username }, human: `Deleted user ${user.username}.` };
  },
};

export const usersSetPasswordCommand: Command = {
  path: ['users', 'set-password'],
  summary: "Set a user's password, read from stdin",
  usage: 'gatehouse users set-password USER --password-stdin [--json]',
  options: { 'password-stdin': { type: 'boolean' }, password: { type: 'string' } },
  positionals: 1,
  async run(ctx, values, [ref]) {
    refusePasswordArgument(values);
    if (values['password-stdin'] !== true) throw new UsageError('--password-stdin is required');
    const password = await readPassword(ctx.io);
    const user = presentUser(await (await ctx.core()).users.setPassword(ref!, password));
    return { json: { password_set: true, id: user.id, username: user.username }, human: `Password set for ${user.username}.` };
  },
};

export const usersRolesCommand: Command = {
  path: ['users', 'roles'],
  summary: "Show or change a user's roles",
  usage: 'gatehouse users roles USER [--add ROLE]... [--remove ROLE]... [--set "role1,role2"] [--json]\n\n  Without options, prints the roles.',
  options: { add: { type: 'string', multiple: true }, remove: { type: 'string', multiple: true }, set: { type: 'string' } },
  positionals: 1,
  async run(ctx, values, [ref]) {
    const users = (await ctx.core()).users;
    const set = splitList(values.set);
    if (set && (values.add || values.remove)) throw new UsageError('use either --set or --add/--remove');
    let user = await users.show(ref!);
    if (set) user = await users.setRoles(user.id, set);
    for (const role of list(values.add)) user = await users.addRole(user.id, role);
    for (const role of list(values.remove)) user = await users.removeRole(user.id, role);
    return { json: { id: user.id, username: user.username, roles: user.roles }, human: user.roles.length ? user.roles.join('\n') : '(no roles)' };
  },
};
