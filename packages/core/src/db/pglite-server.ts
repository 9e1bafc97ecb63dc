import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'

/**
 * Hands PGlite's single session to one connection at a time, from its first message until PGlite answers
 * ReadyForQuery with the idle status. pglite-socket's own queue interleaves connections message by message
 * outside explicit transactions, so two clients' Parse/Bind/Execute sequences (node-postgres's parameterised
 * queries) could run against each other's unnamed statement; holding the session until ReadyForQuery makes
 * every request, and every transaction, atomic.
 */
class ConnectionSerialisingQueue {
  private queue: QueuedMessage[] = [];
  private processing = false;
  /** The connection that owns the session until PGlite says it is idle again. */
  private owner: number | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error('connection closed'));
      return false;
    });
  }

  /** A connection that goes away mid-request or mid-transaction must not keep the session. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    this.owner = null;
    // A connection that closes while the database itself is being closed has nothing left to roll back.
    if (this.db.closed) return;
    try {
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    } catch {
      // The database went away under us (shutdown): there is no transaction to keep.
    }
    void this.process();
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (;;) {
        const index = this.owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === this.owner);
        if (index < 0 || this.queue.length === 0) break;
        const [item] = this.queue.splice(index, 1);
        await this.run(item!);
      }
    } finally {
      this.processing = false;
    }
  }

  private async run(item: QueuedMessage): Promise<void> {
    if (this.db.closed) {
      item.reject(new Error('the database is closed'));
      return;
    }
    this.owner = item.handlerId;
    let bytes = 0;
    const tail = new ResponseTail();
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(item.message, {
          onRawData: (data: Uint8Array) => {
            bytes += data.length;
            tail.push(data);
            item.onData(data);
          },
        }),
      );
    } catch (error) {
      this.owner = null;
      item.reject(error);
      return;
    }
    if (tail.readyStatus === IDLE) this.owner = null;
    item.resolve(bytes);
  }
}

/** Follows the backend message framing of a response stream and remembers the last ReadyForQuery status. */
class ResponseTail {
  readyStatus: number | null = null;
  private pending = Buffer.alloc(0);

  push(data: Uint8Array): void {
    this.pending = Buffer.concat([this.pending, data]);
    while (this.pending.length >= 5) {
      const length = this.pending.readInt32BE(1);
      if (this.pending.length < 1 + length) return;
      if (this.pending[0] === READY_FOR_QUERY && length === 5) this.readyStatus = this.pending[5]!;
      this.pending = this.pending.subarray(1 + length);
    }
  }
}

export interface PgliteServer {
  /** postgres:// URL for clients (user postgres, no password). */
  url: string;
  port: number;
  /** Stops listening and closes every connection. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Serves an embedded PGlite over the PostgreSQL wire protocol on a loopback port, so that several processes
 * (the daemons of the demo, tests' child processes) can share it. Their requests run one at a time.
 */
export async function servePglite(db: PGlite, options: { host?: string; port?: number } = {}): Promise<PgliteServer> {
  const host = options.host ?? '127.0.0.1';
  const queue = new ConnectionSerialisingQueue(db);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true });
    void handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    port,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return stopping;
    },
  };
}
