// The whole content of a test database as text, the way an attacker with a backup would see it:
// pg_dump for a Postgres server; every row of every table for the embedded database (no pg_dump).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import type { TestDatabase } from './test-database.js';

const run = promisify(execFile);

export async function dumpDatabase(testDb: TestDatabase): Promise<string> {
  if (testDb.url) {
    const { stdout } = await run('pg_dump', ['--no-owner', '--no-privileges', testDb.url], { maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  }
  const { knex } = testDb.database;
  const { rows: tables } = (await knex.raw(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  )) as { rows: { table_name: string }[] };
  const parts: string[] = [];
  for (const { table_name: table } of tables) {
    const { rows } = (await knex.raw('SELECT t::text AS line FROM ?? t', [table])) as { rows: { line: string }[] };
    parts.push(`-- ${table}`, ...rows.map((r) => r.line));
  }
  return parts.join('\n');
}
