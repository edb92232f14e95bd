// The audit log is read newest first (by id) with an optional filter on type, client or user:
// indexes in that order serve each filter with a keyset page.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.index(['type', 'id'], 'audit_events_type_id');
    t.index(['client_id', 'id'], 'audit_events_client_id_id');
    t.index(['user_id', 'id'], 'audit_events_user_id_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['type', 'id'], 'audit_events_type_id');
    t.dropIndex(['client_id', 'id'], 'audit_events_client_id_id');
    t.dropIndex(['user_id', 'id'], 'audit_events_user_id_id');
  });
}
