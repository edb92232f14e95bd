// What the running server was configured with, where the CLI needs the same: the issuer (the admin
// API's identifier and the URLs the CLI prints follow it) and the defaults given to new APIs. The
// server records them at start; the CLI adopts them when its own environment does not set them.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('server_settings', (t) => {
    t.text('name').primary();
    t.text('value').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('server_settings');
}
