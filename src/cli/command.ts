// What a CLI command is: its name, help, options, and a run function returning one result.
import type { ParseArgsConfig } from 'node:util';

import type { Core } from '../core.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface CliContext {
  io: CliIo;
  /** --json was given. */
  json: boolean;
  /** Opens the database and builds the services on first use. */
  core(): Promise<Core>;
  /** The database without requiring an up-to-date schema (for `migrate`). */
  rawCore(): Promise<Core>;
}

export interface CliResult {
  /** Exactly what --json prints: one object. */
  json: Record<string, unknown>;
  /** What a person sees. */
  human: string;
}

export interface Command {
  /** e.g. ['clients', 'create'] */
  path: string[];
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals?: number;
  run(ctx: CliContext, values: Record<string, string | boolean | (string | boolean)[] | undefined>, positionals: string[]): Promise<CliResult>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
export const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
