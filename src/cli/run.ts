// The `gatehouse` command: finds the command, parses its options, opens the database only when
// needed, prints one result (one JSON object with --json) and returns an exit code scripts can trust.
import { parseArgs } from 'node:util';

import { ConfigError, loadConfig } from '../config/config.js';
import { adoptServerSettings } from '../config/server-settings.js';
import { ServerSettingsRepository } from '../repositories/server-settings.js';
import { createCore, type Core } from '../core.js';
import { createDatabase, type Database } from '../db/database.js';
import { migrationStatus } from '../db/migrate.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { AppError } from '../errors/app-error.js';
import { KeyDecryptionError } from '../services/key-encryption.js';
import { createLogger, type Logger } from '../services/logger.js';
import { UsageError, type CliIo, type Command } from './command.js';
import {
  apisCreateCommand,
  apisDeleteCommand,
  apisListCommand,
  apisScopesDeleteCommand,
  apisScopesListCommand,
  apisScopesSetCommand,
  apisShowCommand,
  apisUpdateCommand,
} from './commands/apis.js';
import { auditTailCommand } from './commands/audit.js';
import {
  clientsCreateCommand,
  clientsDeleteCommand,
  clientsListCommand,
  clientsRotateSecretCommand,
  clientsShowCommand,
  clientsUpdateCommand,
} from './commands/clients.js';
import { deviceLoginCommand } from './commands/device-login.js';
import { janitorCommand } from './commands/janitor.js';
import { keysListCommand, keysRekeyCommand, keysRotateCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { registrationTokensCreateCommand, registrationTokensListCommand, registrationTokensRevokeCommand } from './commands/registration-tokens.js';
import { rolesCreateCommand, rolesDeleteCommand, rolesListCommand, rolesShowCommand, rolesUpdateCommand } from './commands/roles.js';
import {
  usersCreateCommand,
  usersDeleteCommand,
  usersDisableCommand,
  usersEnableCommand,
  usersListCommand,
  usersRolesCommand,
  usersSetPasswordCommand,
  usersShowCommand,
  usersUpdateCommand,
} from './commands/users.js';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  unavailable: 69,
  config: 78,
} as const;

export const COMMANDS: Command[] = [
  migrateCommand,
  apisCreateCommand,
  apisListCommand,
  apisShowCommand,
  apisUpdateCommand,
  apisDeleteCommand,
  apisScopesListCommand,
  apisScopesSetCommand,
  apisScopesDeleteCommand,
  clientsCreateCommand,
  clientsListCommand,
  clientsShowCommand,
  clientsUpdateCommand,
  clientsRotateSecretCommand,
  clientsDeleteCommand,
  usersCreateCommand,
  usersListCommand,
  usersShowCommand,
  usersUpdateCommand,
  usersDisableCommand,
  usersEnableCommand,
  usersDeleteCommand,
  usersSetPasswordCommand,
  usersRolesCommand,
  rolesCreateCommand,
  rolesListCommand,
  rolesShowCommand,
  rolesUpdateCommand,
  rolesDeleteCommand,
  registrationTokensCreateCommand,
  registrationTokensListCommand,
  registrationTokensRevokeCommand,
  janitorCommand,
  keysListCommand,
  keysRotateCommand,
  keysRekeyCommand,
  deviceLoginCommand,
  auditTailCommand,
];

function findCommand(args: string[]): { command: Command | undefined; rest: string[] } {
  const words = args.filter((a) => !a.startsWith('-'));
  for (const command of COMMANDS) {
    if (command.path.every((part, i) => words[i] === part)) {
      const rest = [...args];
      for (const part of command.path) rest.splice(rest.indexOf(part), 1);
      return { command, rest };
    }
  }
  return { command: undefined, rest: args };
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length));
  return [
    'Usage: gatehouse <command> [options] [--json]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Every command accepts --help and --json (one JSON object on stdout; errors on stderr).',
    'DATABASE_URL selects a Postgres server; otherwise the embedded database in GATEHOUSE_DATA_DIR (./data),',
    'shared with a running server through its local socket.',
  ].join('\n');
}

function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  // A KEK that cannot read the stored keys is a configuration error too.
  if (error instanceof ConfigError || error instanceof KeyDecryptionError) return EXIT.config;
  if (error instanceof AppError) {
    if (error.code === 'invalid_input') return EXIT.usage;
    if (error.code === 'not_found') return EXIT.notFound;
    if (error.code === 'conflict') return EXIT.conflict;
    if (error.code === 'unavailable') return EXIT.unavailable;
  }
  // Refused, timed out, no such database or role, not accepting connections: all "database unavailable".
  if (isDatabaseUnavailable(error)) return EXIT.unavailable;
  return EXIT.failure;
}

const QUIETER_THAN_WARN = new Set(['error', 'fatal', 'silent']);

/** Warnings and errors on stderr (stdout carries only the result), or fewer if LOG_LEVEL says so. */
function cliLogger(level: string, stderr: NodeJS.WritableStream): Logger {
  return createLogger({ level: QUIETER_THAN_WARN.has(level) ? level : 'warn', destination: stderr });
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const fail = (error: unknown): number => {
    const message = error instanceof Error ? error.message : String(error);
    if (json) {
      const fields = error instanceof AppError ? error.details?.fields : undefined;
      io.stderr.write(`${JSON.stringify({ error: message, ...(fields ? { fields } : {}) })}\n`);
    } else {
      io.stderr.write(`gatehouse: ${message}\n`);
    }
    return exitCodeFor(error);
  };

  const { command, rest } = findCommand(args);
  if (!command) {
    if (!args.length || args.includes('--help') || args.includes('-h') || args[0] === 'help') {
      io.stdout.write(`${overview()}\n`);
      return args.length ? EXIT.ok : EXIT.usage;
    }
    return fail(new UsageError(`unknown command "${args.filter((a) => !a.startsWith('-')).join(' ')}"; see gatehouse --help`));
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return EXIT.ok;
  }

  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true }));
    if (positionals.length !== (command.positionals ?? 0)) {
      throw new UsageError(`usage: ${command.usage}`);
    }
  } catch (error) {
    return fail(error instanceof UsageError ? error : new UsageError((error as Error).message));
  }

  let database: Database | undefined;
  let core: Core | undefined;
  const open = async (): Promise<Core> => {
    if (core) return core;
    const own = loadConfig(io.env);
    const logger = cliLogger(own.logLevel, io.stderr);
    database = await createDatabase({
      databaseUrl: own.databaseUrl,
      dataDir: own.dataDir,
      poolMax: 2,
      statementTimeoutMs: own.db.statementTimeoutMs,
      connectTimeoutMs: own.db.connectTimeoutMs,
      queryTimeoutMs: own.db.queryTimeoutMs,
      exclusive: false,
      // knex's own messages (a connection error, a pool warning) as JSON lines on stderr, never stdout.
      logger,
    });
    // The running server's issuer and API defaults, unless this environment names its own (server-settings.ts).
    const recorded = await new ServerSettingsRepository(database.knex).readAll().catch(() => ({}));
    const { config, differing } = adoptServerSettings(own, io.env, recorded);
    for (const { variable, own: mine, server } of differing) {
      io.stderr.write(`warning: ${variable} is ${mine} here but ${server} on the server; this command uses ${mine}\n`);
    }
    core = createCore({ config, database, logger });
    return core;
  };
  try {
    const result = await command.run(
      {
        io,
        json,
        rawCore: open,
        core: async () => {
          const opened = await open();
          const { pending } = await migrationStatus(opened.database.knex);
          if (pending.length) {
            throw new AppError('unavailable', `the database schema is not up to date (${pending.length} pending migration(s)); run: gatehouse migrate`);
          }
          return opened;
        },
      },
      values,
      positionals,
    );
    io.stdout.write(json ? `${JSON.stringify(result.json)}\n` : `${result.human}\n`);
    return EXIT.ok;
  } catch (error) {
    return fail(error);
  } finally {
    // Audit events are written in batches: the last ones must reach the database before it closes.
    await core?.audit.close().catch(() => {});
    await database?.close().catch(() => {});
  }
}
