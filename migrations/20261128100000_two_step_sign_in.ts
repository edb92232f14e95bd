// Two-step sign-in (TOTP, RFC 6238): the shared secret sealed under the KEK (never stored in the
// clear), the last time step accepted (no replay of a code), and one-time recovery codes stored hashed.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.text('totp_secret_sealed');
    t.text('totp_secret_kek_id');
    t.text('totp_pending_sealed');
    t.text('totp_pending_kek_id');
    t.timestamp('totp_enabled_at', { useTz: true });
    t.bigInteger('totp_last_step');
  });
  await knex.schema.createTable('user_recovery_codes', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('code_hash').notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_recovery_codes');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumns('totp_secret_sealed', 'totp_secret_kek_id', 'totp_pending_sealed', 'totp_pending_kek_id', 'totp_enabled_at', 'totp_last_step');
  });
}
