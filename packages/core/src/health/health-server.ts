import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TransientError } from '../errors/index.js';
import type { HealthState } from './health-state.js';

export interface MetricsPayload {
  contentType: string;
  body: string;
}

export interface HealthServerOptions {
  host: string;
  /** 0 picks a free port (tests); the bound port is returned. */
  port: number;
  state: HealthState;
  /** Service name echoed in every answer, so a reply can be told apart from another daemon's. */
  service: string;
  /** Prometheus exposition; without it /metrics answers 404. */
  metrics?: () => Promise<MetricsPayload>;
}

export interface HealthServer {
  port: number;
  stop(): Promise<void>;
}

// close() waits for every socket to end; they are force-closed, but the wait is bounded anyway so that a
// daemon's shutdown can never hang on its health endpoint.
const STOP_TIMEOUT_MS = 2_000;

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

async function answer(req: IncomingMessage, res: ServerResponse, options: HealthServerOptions): Promise<void> {
  const { state, service } = options;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { service, error: `method ${req.method ?? '?'} not allowed` });
    return;
  }
  // Only the path matters; a query string (e.g. from a load balancer probe) is ignored.
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/health/live': {
      const live = state.liveness();
      sendJson(res, live.ok ? 200 : 503, { service, status: live.ok ? 'ok' : 'fail', ...live });
      return;
    }
    case '/health':
    case '/health/ready': {
      const ready = state.readiness();
      sendJson(res, ready.ok ? 200 : 503, { service, status: ready.ok ? 'ok' : 'fail', ...ready });
      return;
    }
    case '/metrics': {
      if (options.metrics === undefined) break;
      const metrics = await options.metrics();
      res.writeHead(200, {
        'content-type': metrics.contentType,
        'content-length': Buffer.byteLength(metrics.body),
        'cache-control': 'no-store',
      });
      res.end(metrics.body);
      return;
    }
  }
  sendJson(res, 404, { service, error: 'not found', paths: ['/health/live', '/health/ready', '/health', '/metrics'] });
}

/** Serves liveness, readiness and metrics for one daemon. Resolves once the port is bound. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((req, res) => {
    answer(req, res, options).catch((error: unknown) => {
      // A failing metrics collector must not take the health endpoint (or the daemon) down with it.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, 500, { service: options.service, error: error instanceof Error ? error.message : String(error) });
    });
  });
  // Malformed requests are answered 400 and dropped instead of surfacing as an unhandled 'error'.
  server.on('clientError', (_error: Error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new TransientError(`health server cannot listen on ${options.host}:${options.port}: ${error.message}`, {
          cause: error,
          context: { host: options.host, port: options.port, service: options.service },
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // Errors after listening (rare: e.g. EMFILE on accept) are survivable; never let them crash the daemon.
  server.on('error', () => undefined);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      // Keep-alive sockets (and a client stuck mid-request) would otherwise keep close() waiting until the
      // client hangs up; a probe losing its answer during shutdown is harmless.
      server.closeAllConnections();
    });
    return stopping;
  };

  return { port: (server.address() as AddressInfo).port, stop };
}
