// Roles (users have roles; an API scope can be restricted to roles), per-API options for the roles
// claim and for dynamically registered clients, initial access tokens for dynamic registration,
// and the indexes keyset pagination of the admin lists walks on.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('roles', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable().unique();
    t.text('description');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.raw('clock_timestamp()'));
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.raw('clock_timestamp()'));
    t.index(['created_at', 'id']);
  });

  await knex.schema.createTable('user_roles', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('role_id').notNullable().references('id').inTable('roles').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'role_id']);
    t.index(['role_id']);
  });

  await knex.schema.createTable('api_scope_roles', (t) => {
    t.uuid('api_id').notNullable();
    t.text('scope_name').notNullable();
    // RESTRICT: deleting a role must never silently turn a restricted scope into an open one.
    t.uuid('role_id').notNullable().references('id').inTable('roles').onDelete('RESTRICT');
    t.primary(['api_id', 'scope_name', 'role_id']);
    t.foreign(['api_id', 'scope_name']).references(['api_id', 'name']).inTable('api_scopes').onDelete('CASCADE').onUpdate('CASCADE');
    t.index(['role_id']);
  });

  await knex.schema.alterTable('apis', (t) => {
    // Access tokens for this API carry the user's roles in a `roles` claim.
    t.boolean('roles_claim').notNullable().defaultTo(false);
    // Dynamically registered clients may ask for this API's scopes.
    t.boolean('allow_dynamic_clients').notNullable().defaultTo(false);
    t.index(['created_at', 'id']);
  });

  await knex.schema.alterTable('clients', (t) => {
    t.index(['created_at', 'client_id']);
  });
  await knex.schema.alterTable('users', (t) => {
    t.index(['created_at', 'id']);
  });

  await knex.schema.createTable('registration_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // HMAC-SHA-256 of the token under the server pepper: the token itself is never stored.
    t.text('token_hash').notNullable().unique();
    t.text('description');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    // NULL: any number of registrations until it expires.
    t.integer('max_uses');
    t.integer('uses').notNullable().defaultTo(0);
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.raw('clock_timestamp()'));
    t.index(['created_at', 'id']);
  });
  await knex.raw('ALTER TABLE registration_tokens ADD CONSTRAINT registration_tokens_uses CHECK (uses >= 0 AND (max_uses IS NULL OR uses <= max_uses))');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('registration_tokens');
  await knex.schema.alterTable('users', (t) => t.dropIndex(['created_at', 'id']));
  await knex.schema.alterTable('clients', (t) => t.dropIndex(['created_at', 'client_id']));
  await knex.schema.alterTable('apis', (t) => {
    t.dropIndex(['created_at', 'id']);
    t.dropColumn('allow_dynamic_clients');
    t.dropColumn('roles_claim');
  });
  await knex.schema.dropTableIfExists('api_scope_roles');
  await knex.schema.dropTableIfExists('user_roles');
  await knex.schema.dropTableIfExists('roles');
}
