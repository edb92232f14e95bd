// `gatehouse migrate`: bring the database schema up to date.
import { migrateLatest, migrationStatus } from '../../db/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'Apply pending database migrations (safe while other instances start or run)',
  usage: 'gatehouse migrate [--json]',
  options: {},
  async run(ctx) {
    const { database } = await ctx.rawCore();
    const applied = await migrateLatest(database.knex, { serialise: database.kind === 'postgres' });
    const status = await migrationStatus(database.knex);
    return {
      json: { applied, current: status.applied.at(-1) ?? null, pending: status.pending },
      human: applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database schema is up to date.',
    };
  },
};
