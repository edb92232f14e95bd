// Runs Postgres wire-protocol messages from many socket connections against one PGlite session.
// PGlite is a single session, so the unnamed prepared statement and portal are shared by every
// connection: a connection's Parse/Bind/Describe/Execute must run together up to its Sync, or
// another connection's Parse in between makes its Bind run someone else's statement. Messages are
// therefore gathered per connection until Sync (or a simple Query) and executed as one unit, and
// while a connection holds an open transaction only that connection's units run.
import type { PGlite } from '@electric-sql/pglite';

interface Message {
  bytes: Uint8Array;
  onData: (data: Uint8Array) => void;
}

interface Unit {
  handlerId: number;
  messages: Message[];
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

// Message types that end a unit of work: Sync, simple Query, Flush, CopyDone, CopyFail.
const UNIT_END = new Set(['S', 'Q', 'H', 'c', 'f']);

function messageType(bytes: Uint8Array): string | undefined {
  // The startup message has no type byte: its second int32 is the protocol version (3.0).
  if (bytes.length >= 8 && bytes[0] === 0 && new DataView(bytes.buffer, bytes.byteOffset, 8).getInt32(4) === 196608) {
    return undefined;
  }
  return String.fromCharCode(bytes[0]!);
}

export class StatementQueue {
  private readonly pending = new Map<number, Message[]>();
  private queue: Unit[] = [];
  private running = false;
  /** The connection whose transaction is open, if any: only its units may run. */
  private owner: number | undefined;

  constructor(private readonly db: PGlite) {}

  /** Called by the socket handler for each framed message; resolves once the message's unit ran. */
  enqueue(handlerId: number, bytes: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    const type = messageType(bytes);
    // Terminate is the connection's business, not the shared session's: closing the socket follows.
    if (type === 'X') return Promise.resolve(0);
    const messages = this.pending.get(handlerId) ?? [];
    messages.push({ bytes, onData });
    if (type !== undefined && !UNIT_END.has(type)) {
      // Part of an unfinished unit: held until its Sync arrives (the handler awaits each message).
      this.pending.set(handlerId, messages);
      return Promise.resolve(0);
    }
    this.pending.delete(handlerId);
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ handlerId, messages, resolve, reject });
      void this.drain();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.pending.delete(handlerId);
    const dropped = this.queue.filter((unit) => unit.handlerId === handlerId);
    this.queue = this.queue.filter((unit) => unit.handlerId !== handlerId);
    for (const unit of dropped) unit.reject(new Error('connection closed'));
  }

  /** A connection that goes away with an open transaction must not leave it open for everyone. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner === handlerId) {
      this.owner = undefined;
      // exec() takes PGlite's own lock (runExclusive around it would deadlock).
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
      void this.drain();
    }
  }

  private next(): Unit | undefined {
    const index = this.owner === undefined ? 0 : this.queue.findIndex((unit) => unit.handlerId === this.owner);
    if (index === -1 || index >= this.queue.length) return undefined;
    return this.queue.splice(index, 1)[0];
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let unit = this.next(); unit; unit = this.next()) {
        let written = 0;
        try {
          await this.db.runExclusive(async () => {
            for (const [i, message] of unit!.messages.entries()) {
              await this.db.execProtocolRawStream(message.bytes, {
                // Flush to the file system once per unit, not once per message.
                syncToFs: i === unit!.messages.length - 1,
                onRawData: (data) => {
                  written += data.length;
                  message.onData(data);
                },
              });
            }
          });
          this.owner = this.db.isInTransaction() ? unit.handlerId : undefined;
          unit.resolve(written);
        } catch (error) {
          this.owner = this.db.isInTransaction() ? unit.handlerId : undefined;
          unit.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
