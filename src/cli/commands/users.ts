// `gatehouse users ...`: create and list users. Passwords come from stdin, never the command line.
import { presentUser } from '../../presenters/resources.js';
import { str, UsageError, type Command, type CliIo } from '../command.js';
import { formatRecord, formatTable } from '../format.js';

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

export const usersCreateCommand: Command = {
  path: ['users', 'create'],
  summary: 'Create a user; the password is read from stdin',
  usage: 'gatehouse users create --username U [--email E] [--name N] [--email-verified] --password-stdin',
  options: {
    username: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    'email-verified': { type: 'boolean' },
    'password-stdin': { type: 'boolean' },
    password: { type: 'string' },
  },
  async run(ctx, values) {
    if (values.password !== undefined) {
      throw new UsageError('passwords are never accepted on the command line (they end up in shell history and ps); use --password-stdin');
    }
    if (values['password-stdin'] !== true) throw new UsageError('--password-stdin is required');
    const username = str(values.username);
    if (!username) throw new UsageError('--username is required');
    const password = await readPassword(ctx.io);
    const core = await ctx.core();
    const user = presentUser(
      await core.users.create({
        username,
        email: str(values.email),
        name: str(values.name),
        emailVerified: values['email-verified'] === true,
        password,
      }),
    );
    return { json: user, human: `User created.\n${formatRecord(user)}` };
  },
};

export const usersListCommand: Command = {
  path: ['users', 'list'],
  summary: 'List users',
  usage: 'gatehouse users list [--json]',
  options: {},
  async run(ctx) {
    const users = (await (await ctx.core()).users.list()).map(presentUser);
    return { json: { users }, human: formatTable(users, ['id', 'username', 'email', 'name', 'disabled']) };
  },
};
