// The settings the running server records for the CLI (see the server_settings migration).
import type { Knex } from 'knex';

const TABLE = 'server_settings';

export class ServerSettingsRepository {
  constructor(private readonly knex: Knex) {}

  async readAll(): Promise<Record<string, string>> {
    const rows = await this.knex<{ name: string; value: string }>(TABLE).select('name', 'value');
    return Object.fromEntries(rows.map((row) => [row.name, row.value]));
  }

  async write(values: Record<string, string>): Promise<void> {
    const rows = Object.entries(values).map(([name, value]) => ({ name, value, updated_at: this.knex.fn.now() }));
    if (rows.length) await this.knex(TABLE).insert(rows).onConflict('name').merge(['value', 'updated_at']);
  }
}
