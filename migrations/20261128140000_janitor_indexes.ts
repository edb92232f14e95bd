// Lets the janitor find used codes and rotated refresh tokens by when they were used, without a
// scan of oidc_models (expired rows already have oidc_models_expires_at).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX oidc_models_consumed_at ON oidc_models (consumed_at) WHERE consumed_at IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS oidc_models_consumed_at');
}
