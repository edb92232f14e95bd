// The change_events table: an append-only feed of "this entity changed" notes that every instance
// reads (by LISTEN/NOTIFY and by polling) to keep its in-process caches and revocation list current.
import type { Knex } from 'knex';

export const CHANGE_CHANNEL = 'gatehouse_changes';

export interface ChangeEvent {
  topic: string;
  key: string;
  expiresAt: Date | null;
}

export interface StoredChangeEvent extends ChangeEvent {
  id: string;
}

interface ChangeRow {
  id: string;
  topic: string;
  key: string;
  expires_at: Date | null;
  created_at: Date;
}

export class ChangeEventRepository {
  constructor(private readonly knex: Knex) {}

  /** Appends an event and notifies listeners; inside a transaction both happen at commit. */
  async append(event: ChangeEvent, trx: Knex | Knex.Transaction = this.knex): Promise<StoredChangeEvent> {
    const [row] = (await trx('change_events')
      .insert({ topic: event.topic, key: event.key, expires_at: event.expiresAt })
      .returning('id')) as { id: string }[];
    const stored: StoredChangeEvent = { ...event, id: String(row!.id) };
    await trx.raw('SELECT pg_notify(?, ?)', [CHANGE_CHANNEL, JSON.stringify(stored)]);
    return stored;
  }

  /** Events newer than `since`, and the database clock to pass as `since` next time. */
  async listSince(since: Date): Promise<{ events: StoredChangeEvent[]; now: Date }> {
    const rows = await this.knex<ChangeRow>('change_events')
      .where('created_at', '>', since)
      .orderBy('id')
      .limit(10_000)
      .select('id', 'topic', 'key', 'expires_at');
    const { rows: clock } = (await this.knex.raw('SELECT clock_timestamp() AS now')) as { rows: { now: Date }[] };
    return {
      events: rows.map((r) => ({ id: String(r.id), topic: r.topic, key: r.key, expiresAt: r.expires_at })),
      now: clock[0]!.now,
    };
  }

  async databaseNow(): Promise<Date> {
    const { rows } = (await this.knex.raw('SELECT clock_timestamp() AS now')) as { rows: { now: Date }[] };
    return rows[0]!.now;
  }

  async deleteOlderThan(before: Date, batchSize = 5000): Promise<number> {
    return this.knex('change_events')
      .whereIn('id', this.knex('change_events').select('id').where('created_at', '<', before).limit(batchSize))
      .delete();
  }
}
