// The core schema: oidc-provider's model store, clients, APIs, users, signing keys, consents,
// the token revocation list and the change feed that keeps every instance's caches in step.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_models', (t) => {
    t.text('model').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    // Real columns, not jsonb lookups: each is searched by an index of its own.
    t.text('grant_id');
    t.text('uid');
    t.text('user_code');
    t.text('account_id');
    t.text('client_id');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
  });
  await knex.raw('CREATE INDEX oidc_models_grant_id ON oidc_models (grant_id) WHERE grant_id IS NOT NULL');
  await knex.raw('CREATE UNIQUE INDEX oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL');
  await knex.raw('CREATE UNIQUE INDEX oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL');
  await knex.raw('CREATE INDEX oidc_models_account_id ON oidc_models (account_id, model) WHERE account_id IS NOT NULL');
  await knex.raw('CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL');

  await knex.schema.createTable('apis', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('identifier').notNullable().unique();
    t.text('name').notNullable();
    t.integer('access_token_ttl').notNullable();
    t.text('signing_alg').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('api_scopes', (t) => {
    t.uuid('api_id').notNullable().references('id').inTable('apis').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('description');
    t.primary(['api_id', 'name']);
  });

  await knex.schema.createTable('clients', (t) => {
    t.text('client_id').primary();
    t.text('name').notNullable();
    // OIDC client metadata as registered (redirect_uris, grant_types, ...); never holds a secret.
    t.jsonb('metadata').notNullable();
    t.uuid('introspect_for_api_id').references('id').inTable('apis').onDelete('CASCADE');
    t.boolean('is_admin').notNullable().defaultTo(false);
    t.boolean('dynamic').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('client_secrets', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('client_id').notNullable().references('client_id').inTable('clients').onDelete('CASCADE');
    // HMAC-SHA-256 of the secret under the server pepper: the plain secret is never stored.
    t.text('secret_hash').notNullable();
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['client_id']);
  });
  await knex.schema.createTable('client_apis', (t) => {
    t.text('client_id').notNullable().references('client_id').inTable('clients').onDelete('CASCADE');
    t.uuid('api_id').notNullable().references('id').inTable('apis').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.primary(['client_id', 'api_id']);
    t.index(['api_id']);
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('username').notNullable();
    t.text('email');
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.text('name');
    // Other standard claims (given_name, phone_number, address, ...), keyed by claim name.
    t.jsonb('profile').notNullable().defaultTo('{}');
    t.text('password_hash');
    t.boolean('disabled').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE UNIQUE INDEX users_username_lower ON users (lower(username))');
  await knex.raw('CREATE UNIQUE INDEX users_email_lower ON users (lower(email)) WHERE email IS NOT NULL');

  await knex.schema.createTable('consents', (t) => {
    t.uuid('account_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('client_id').notNullable().references('client_id').inTable('clients').onDelete('CASCADE');
    t.specificType('oidc_scopes', 'text[]').notNullable().defaultTo('{}');
    t.specificType('oidc_claims', 'text[]').notNullable().defaultTo('{}');
    // { "<api identifier>": ["scope", ...] }
    t.jsonb('resource_scopes').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'client_id']);
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.text('state').notNullable();
    t.jsonb('public_jwk').notNullable();
    // AES-256-GCM ciphertext of the private JWK under the key-encryption key `kek_id`.
    t.text('private_jwk_encrypted').notNullable();
    t.text('kek_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('activates_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('remove_after', { useTz: true });
  });
  await knex.raw("ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_state CHECK (state IN ('next', 'current', 'retired'))");
  // At most one signing key per algorithm: instances that start together cannot each create one.
  await knex.raw("CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE state = 'current'");

  await knex.schema.createTable('token_revocations', (t) => {
    t.text('kind').notNullable();
    t.text('value').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['kind', 'value']);
    t.index(['expires_at']);
  });
  await knex.raw("ALTER TABLE token_revocations ADD CONSTRAINT token_revocations_kind CHECK (kind IN ('jti', 'grant'))");

  await knex.schema.createTable('change_events', (t) => {
    t.bigIncrements('id');
    t.text('topic').notNullable();
    t.text('key').notNullable();
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.raw('clock_timestamp()'));
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'change_events',
    'token_revocations',
    'signing_keys',
    'consents',
    'users',
    'client_apis',
    'client_secrets',
    'clients',
    'api_scopes',
    'apis',
    'oidc_models',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
