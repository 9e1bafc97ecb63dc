import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * How the balancer spreads the load:
 * - `per-connection`: each client connection goes to the next backend, as a TCP load balancer does; requests on a
 *   kept-alive connection stay on its backend.
 * - `per-request`: the same, and keep-alive is turned off on the way (each request's head gets
 *   `Connection: close`), so that every request opens a connection of its own, hence meets the other backend than
 *   the request before it. Only for requests without a body (the pull side's GETs).
 */
export type BalancerMode = 'per-connection' | 'per-request';

export interface RoundRobinBalancer {
  port: number;
  url: string;
  /** Connections handed to each backend so far, by backend port. */
  connections(): Map<number, number>;
  /** The backends, by port, in the order they were handed connections (one entry per connection). */
  history(): readonly number[];
  /** Closes the listener and every proxied connection. Safe to call twice. */
  stop(): Promise<void>;
}

const HEAD_END = '\r\n\r\n';
/** A request head larger than this is not one the pull side sends: the connection is dropped. */
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * A round-robin TCP load balancer on loopback, with the net module only: no HTTP library between the client
 * and the replicas. A backend that refuses the connection (a stopped replica) is skipped: the connection goes to
 * the next one, as a balancer's health check would have it; when none accepts, the client's connection is closed.
 */
export async function startRoundRobinBalancer(backendPorts: readonly number[], mode: BalancerMode = 'per-connection'): Promise<RoundRobinBalancer> {
  if (backendPorts.length === 0) throw new Error('the balancer needs at least one backend');
  let next = 0;
  const counts = new Map<number, number>(backendPorts.map((port) => [port, 0]));
  const handed: number[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  /** Connects to the next backend that accepts, trying each at most once. */
  const connectNext = (onConnected: (backend: Socket, port: number) => void, onNone: () => void, tried = 0): void => {
    if (tried >= backendPorts.length) {
      onNone();
      return;
    }
    const port = backendPorts[next % backendPorts.length]!;
    next += 1;
    const backend = connect({ host: '127.0.0.1', port });
    track(backend);
    const refused = (): void => {
      backend.destroy();
      connectNext(onConnected, onNone, tried + 1);
    };
    backend.once('error', refused);
    backend.once('connect', () => {
      backend.off('error', refused);
      counts.set(port, (counts.get(port) ?? 0) + 1);
      handed.push(port);
      onConnected(backend, port);
    });
  };

  const splice = (client: Socket, backend: Socket, firstBytes: Buffer | null): void => {
    // Either side ending or failing ends the other: the client sees the replica go away as it would in production.
    const closeBoth = (): void => {
      client.destroy();
      backend.destroy();
    };
    backend.on('error', closeBoth);
    client.on('error', closeBoth);
    backend.on('close', () => client.end());
    client.on('close', () => backend.destroy());
    if (firstBytes !== null) backend.write(firstBytes);
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on('error', () => client.destroy());
    const refuseAll = (): void => {
      client.destroy();
    };
    if (mode === 'per-connection') {
      connectNext((backend) => splice(client, backend, null), refuseAll);
      return;
    }
    // per-request: read the head, turn keep-alive off in it, then pick the backend.
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      const rewritten = closingHead(head.subarray(0, end).toString('latin1'));
      const rest = head.subarray(end + HEAD_END.length);
      connectNext((backend) => splice(client, backend, Buffer.concat([Buffer.from(rewritten + HEAD_END, 'latin1'), rest])), refuseAll);
    };
    client.on('data', onData);
    client.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => new Map(counts),
    history: () => [...handed],
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}

/** The request head with any Connection header replaced by `Connection: close`. */
function closingHead(head: string): string {
  const [requestLine, ...headers] = head.split('\r\n');
  const kept = headers.filter((line) => !/^connection\s*:/i.test(line));
  return [requestLine, ...kept, 'Connection: close'].join('\r\n');
}
