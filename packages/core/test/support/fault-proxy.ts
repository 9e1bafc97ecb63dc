import http from 'node:http';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';

/** What the proxy does with one request. */
export type FaultAction =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  /** Destroys the client's connection without an answer (a reset). */
  | { kind: 'reset' }
  /** Accepts and never answers (a black hole); the client's own timeout must fire. */
  | { kind: 'stall' }
  /** Forwards, then cuts the answer in the middle of its body. */
  | { kind: 'truncate' }
  /** Forwards after a delay. */
  | { kind: 'delay'; ms: number };

export interface ProxiedRequest {
  at: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The request body, gunzipped. */
  body: string;
  action: FaultAction['kind'];
  status: number | null;
  /** When the exchange with the client ended: answered, or the connection closed (either side); null while open. */
  endedAt: number | null;
  /** When the whole answer was handed to the client's connection; null if it never was. */
  answeredAt: number | null;
}

export interface FaultProxy {
  url: string;
  port: number;
  requests: ProxiedRequest[];
  /** Decides the fate of each request; replace it at any time. */
  plan: (request: { url: string; body: string; index: number }) => FaultAction;
  /** Refuse new TCP connections outright (a full outage) while true. */
  setRefusing(refusing: boolean): void;
  /** Connections refused so far while refusing: the faults a full outage injected. */
  readonly refusedConnections: number;
  stop(): Promise<void>;
}

/**
 * A fault-injecting HTTP proxy on loopback between a daemon and the central API. It records every request
 * (body included) so that tests can count delivery attempts and measure the gaps that Retry-After imposes.
 */
export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let refusing = false;
  let refused = 0;
  const proxy: FaultProxy = {
    url: '',
    port: 0,
    requests: [],
    plan: () => ({ kind: 'pass' }),
    setRefusing(value) {
      refusing = value;
    },
    get refusedConnections() {
      return refused;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: string;
      try {
        body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      } catch {
        body = '<undecodable>';
      }
      const index = proxy.requests.length;
      const action = proxy.plan({ url: req.url ?? '', body, index });
      const record: ProxiedRequest = { at: Date.now(), method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, action: action.kind, status: null, endedAt: null, answeredAt: null };
      proxy.requests.push(record);
      res.on('close', () => (record.endedAt = Date.now()));
      res.on('finish', () => (record.answeredAt = Date.now()));
      switch (action.kind) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'stall':
          return;
        case 'status': {
          record.status = action.status;
          const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
          if (action.retryAfter !== undefined) headers['retry-after'] = action.retryAfter;
          res.writeHead(action.status, headers).end(action.body ?? JSON.stringify({ type: 'about:blank', title: 'injected fault', status: action.status }));
          return;
        }
        default: {
          const forward = () => {
            const upstream = http.request(
              { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent },
              (answer) => {
                record.status = answer.statusCode ?? null;
                const answerChunks: Buffer[] = [];
                answer.on('data', (c: Buffer) => answerChunks.push(c));
                answer.on('end', () => {
                  const full = Buffer.concat(answerChunks);
                  const headers = { ...answer.headers };
                  if (action.kind === 'truncate') {
                    // Announce the full length, send half, then cut the connection.
                    res.writeHead(answer.statusCode ?? 502, headers);
                    res.write(full.subarray(0, Math.floor(full.length / 2)));
                    setTimeout(() => req.socket.destroy(), 10);
                    return;
                  }
                  res.writeHead(answer.statusCode ?? 502, headers).end(full);
                });
              },
            );
            upstream.on('error', () => req.socket.destroy());
            upstream.end(raw);
          };
          if (action.kind === 'delay') setTimeout(forward, action.ms);
          else forward();
        }
      }
    });
  });
  server.on('connection', (socket) => {
    if (refusing) {
      refused += 1;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  return proxy;
}

/** Event ids carried by a recorded batch request (POST /v1/events). */
export function eventIdsOf(request: ProxiedRequest): string[] {
  try {
    const parsed = JSON.parse(request.body) as { events?: { eventId?: string }[] };
    return (parsed.events ?? []).map((e) => String(e.eventId));
  } catch {
    return [];
  }
}
