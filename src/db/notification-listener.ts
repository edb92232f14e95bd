// A dedicated connection that LISTENs on one channel and reconnects after a failure.
// Not used through PgBouncer in transaction mode or with the embedded database: the change feed's
// polling covers those; LISTEN only makes propagation immediate.
import pg from 'pg';

import type { SocketConnection } from './embedded-postgres.js';

export interface NotificationListener {
  close(): Promise<void>;
}

export interface ListenerHandlers {
  onNotification(payload: string): void;
  /** Called after every (re)connection, so the caller can catch up on what it may have missed. */
  onConnected(): void;
  onError(error: Error): void;
}

export function listenForNotifications(
  connection: string | SocketConnection,
  channel: string,
  handlers: ListenerHandlers,
  { reconnectDelayMs = 1000, connectTimeoutMs = 5000 } = {},
): NotificationListener {
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const scheduleReconnect = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, reconnectDelayMs);
    timer.unref();
  };

  const connect = async () => {
    const base = typeof connection === 'string' ? { connectionString: connection } : connection;
    const next = new pg.Client({ ...base, connectionTimeoutMillis: connectTimeoutMs, application_name: 'gatehouse-listener' });
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload) handlers.onNotification(message.payload);
    });
    next.on('error', (error) => {
      handlers.onError(error);
      void next.end().catch(() => {});
      if (client === next) client = undefined;
      scheduleReconnect();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (closed) {
        await next.end();
        return;
      }
      client = next;
      handlers.onConnected();
    } catch (error) {
      handlers.onError(error as Error);
      void next.end().catch(() => {});
      scheduleReconnect();
    }
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => {});
    },
  };
}
