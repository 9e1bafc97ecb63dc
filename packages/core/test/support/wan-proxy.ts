import net from 'node:net';

/** The link a WAN proxy imposes, the same in each direction. */
export interface WanShape {
  /** One-way delay added to every chunk; the round trip is twice this. */
  oneWayDelayMs: number;
  /** Bandwidth of each direction, in bits per second (a token bucket per direction, shared by all connections). */
  bitsPerSecond: number;
  /** Bytes the bucket can hold: how much may leave back to back before the rate applies. */
  burstBytes: number;
}

/** 80 ms round trip and 10 Mbit/s each way: a small store's uplink to a VPS in another region. */
export const STORE_LINK: WanShape = { oneWayDelayMs: 40, bitsPerSecond: 10_000_000, burstBytes: 16_384 };

/** No delay and no rate limit: the same path through the proxy, as a reference for what the shaping adds. */
export const UNSHAPED: WanShape = { oneWayDelayMs: 0, bitsPerSecond: Infinity, burstBytes: 0 };

export interface WanCounters {
  /** TCP payload bytes from the clients towards the target (requests). */
  bytesUp: number;
  /** TCP payload bytes from the target towards the clients (answers). */
  bytesDown: number;
  /** Connections accepted and carried to the target. */
  connections: number;
  /** Connections dropped at once because the link was down. */
  refused: number;
}

export interface WanProxy {
  url: string;
  port: number;
  readonly shape: WanShape;
  /** A copy of the counters so far; subtract two copies to count one phase. */
  counters(): WanCounters;
  /** Down: open connections are cut and new ones are dropped on arrival (central unreachable). Up: traffic flows. */
  setLinkUp(up: boolean): void;
  /** Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Above this many bytes queued in one direction of one connection, the sending socket is paused, as a TCP
 * window would hold the sender back; without it a fast sender would pile its whole answer into the proxy's memory.
 * 256 KiB is more than the link's bandwidth-delay product (10 Mbit/s × 80 ms ≈ 100 KB), so the window never
 * limits the rate below the bucket's.
 */
const HIGH_WATER_BYTES = 256 * 1024;

/** A token bucket for one direction of the link. Tokens may go negative: that debt is the queue waiting for the wire. */
class TokenBucket {
  private tokens: number;
  private refilledAt = performance.now();
  private readonly bytesPerMs: number;

  constructor(private readonly shape: WanShape) {
    this.tokens = shape.burstBytes;
    this.bytesPerMs = shape.bitsPerSecond / 8 / 1_000;
  }

  /** When a chunk of `bytes` handed over now reaches the far end (performance.now() time). */
  deliveryTime(bytes: number): number {
    const now = performance.now();
    if (this.bytesPerMs === Infinity) return now + this.shape.oneWayDelayMs;
    this.tokens = Math.min(this.shape.burstBytes, this.tokens + (now - this.refilledAt) * this.bytesPerMs);
    this.refilledAt = now;
    this.tokens -= bytes;
    const serialisationMs = this.tokens < 0 ? -this.tokens / this.bytesPerMs : 0;
    return now + serialisationMs + this.shape.oneWayDelayMs;
  }
}

type Delivery = { at: number; chunk: Buffer } | { at: number; end: true };

/**
 * One direction of one connection: chunks leave in arrival order, each at its delivery time, and the end of the
 * stream (FIN) follows the last chunk after the same delay, so a half-close is seen where a real link shows it.
 */
class ShapedPipe {
  private readonly queue: Delivery[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** `lastAt`: nothing is delivered before this time (the connection's handshake). */
  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    bucket: TokenBucket,
    count: (bytes: number) => void,
    delayMs: number,
    private lastAt: number,
  ) {
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      this.push({ at: bucket.deliveryTime(chunk.length), chunk });
      this.queuedBytes += chunk.length;
      if (this.queuedBytes > HIGH_WATER_BYTES) from.pause();
    });
    from.on('end', () => this.push({ at: performance.now() + delayMs, end: true }));
  }

  /** Drops whatever is still queued (the connection was cut). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private push(delivery: Delivery): void {
    if (this.closed) return;
    // Never before the previous one: the link keeps the order of the bytes.
    delivery.at = Math.max(delivery.at, this.lastAt);
    this.lastAt = delivery.at;
    this.queue.push(delivery);
    if (this.queue.length === 1) this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (head === undefined || this.closed) return;
    this.timer = setTimeout(() => this.deliverDue(), Math.max(0, head.at - performance.now()));
  }

  private deliverDue(): void {
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const delivery = this.queue.shift()!;
      if ('end' in delivery) {
        this.to.end();
        continue;
      }
      this.queuedBytes -= delivery.chunk.length;
      if (!this.to.destroyed) this.to.write(delivery.chunk);
    }
    if (this.queuedBytes <= HIGH_WATER_BYTES / 2 && this.from.isPaused()) this.from.resume();
    this.arm();
  }
}

/**
 * A TCP proxy on loopback that makes the path to `target` look like a WAN link: every chunk is delayed by the
 * one-way delay and paced by a token bucket per direction (shared by all connections, as one uplink is), in
 * order. It counts the payload bytes each way, so a benchmark can tell what a sync costs on the wire. Plain TCP:
 * it neither reads nor changes HTTP, so keep-alive, gzip and pipelining behave as they would over the link.
 */
export async function startWanProxy(target: { host: string; port: number }, shape: WanShape = STORE_LINK): Promise<WanProxy> {
  const up = new TokenBucket(shape);
  const down = new TokenBucket(shape);
  const counts: WanCounters = { bytesUp: 0, bytesDown: 0, connections: 0, refused: 0 };
  const live = new Set<{ client: net.Socket; upstream: net.Socket; pipes: ShapedPipe[] }>();
  let linkUp = true;
  let stopping: Promise<void> | undefined;

  const cut = (link: { client: net.Socket; upstream: net.Socket; pipes: ShapedPipe[] }) => {
    live.delete(link);
    for (const pipe of link.pipes) pipe.close();
    // A reset, not a FIN: the far side must see the connection fail, not end cleanly with an answer cut short.
    link.client.resetAndDestroy();
    link.upstream.resetAndDestroy();
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    if (!linkUp) {
      counts.refused += 1;
      client.resetAndDestroy();
      return;
    }
    counts.connections += 1;
    // The client's connect succeeds at once on loopback, but over the link its first bytes would leave only after
    // the handshake (SYN out, SYN-ACK back: one round trip) and then take the one-way delay: 1.5 round trips.
    // TLS would add one or two more round trips per new connection; plain HTTP here does not.
    const accepted = performance.now();
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    const link = { client, upstream, pipes: [] as ShapedPipe[] };
    link.pipes.push(
      new ShapedPipe(client, upstream, up, (n) => (counts.bytesUp += n), shape.oneWayDelayMs, accepted + 3 * shape.oneWayDelayMs),
      new ShapedPipe(upstream, client, down, (n) => (counts.bytesDown += n), shape.oneWayDelayMs, accepted),
    );
    live.add(link);
    // An error or a reset on either side is a reset of the whole connection; a clean close of both ends it.
    client.on('error', () => cut(link));
    upstream.on('error', () => cut(link));
    let closedSides = 0;
    const onClose = () => {
      closedSides += 1;
      if (closedSides === 2) live.delete(link);
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    shape,
    counters: () => ({ ...counts }),
    setLinkUp(value) {
      linkUp = value;
      if (!value) for (const link of [...live]) cut(link);
    },
    stop() {
      stopping ??= (async () => {
        for (const link of [...live]) cut(link);
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
