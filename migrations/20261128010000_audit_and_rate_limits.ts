// The append-only audit log and the table rate-limit counters live in when no Redis is configured.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('type').notNullable();
    t.text('outcome').notNullable();
    t.text('client_id');
    t.text('user_id');
    t.text('ip');
    t.text('user_agent');
    t.text('request_id');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['occurred_at']);
    t.index(['type', 'occurred_at']);
    t.index(['client_id', 'occurred_at']);
    t.index(['user_id', 'occurred_at']);
  });
  // Append-only: the application role may insert and read; rows leave only through retention pruning.
  await knex.raw(`
    CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$;
  `);
  await knex.raw('CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_immutable()');

  // The layout rate-limiter-flexible's RateLimiterPostgres expects.
  await knex.raw('CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)');
  await knex.raw('CREATE INDEX rate_limits_expire ON rate_limits (expire)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rate_limits');
  await knex.schema.dropTableIfExists('audit_events');
  await knex.raw('DROP FUNCTION IF EXISTS audit_events_immutable()');
}
