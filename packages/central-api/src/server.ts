import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransientError } from '@goldpdv/core';
import type { CentralLogger } from './logger.js';
import { answerClientError } from './http/client-error.js';
import { faultToProblem } from './http/fault.js';
import { badRequest, HttpProblem, PROBLEM_TYPES } from './http/problem.js';
import { assertJsonContentType, readBodyText } from './http/read-body.js';
import { problemResponse, sendResponse } from './http/respond.js';
import { RouteTable, type HttpMethod, type Route, type RouteRequest, type RouteResponse } from './http/route.js';

export interface CentralServerOptions {
  routes: readonly Route[];
  logger: CentralLogger;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open connections accepted at once; 0 or absent: no bound. */
  maxConnections?: number;
  /** Retry-After of 503 answers (database down, transient fault). */
  retryAfterSeconds: number;
  /** Called once per answered request with the matched route pattern ('unmatched' when none), for metrics. */
  onAnswered?: (route: string, status: number, seconds: number) => void;
}

export interface CentralServer {
  server: Server;
  /** Binds and resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, lets in-flight requests finish for up to drainMs, then closes every socket. Idempotent. */
  stop(drainMs: number): Promise<void>;
}

/** An HTTP server that answers `routes` and nothing else, with problem+json for every error. */
export function createCentralServer(options: CentralServerOptions): CentralServer {
  const table = new RouteTable(options.routes);
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  const server = createServer((req, res) => {
    inFlight += 1;
    void handleRequest(req, res, table, options, () => draining).finally(() => {
      inFlight -= 1;
      if (draining && inFlight === 0) drained?.();
    });
  });
  server.requestTimeout = options.requestTimeoutMs;
  // Each long-polling PDV holds a connection: bounded so that a reconnect storm meets a refusal, not a crash.
  if (options.maxConnections) server.maxConnections = options.maxConnections;
  // Idle keep-alive sockets outlive the load balancer's own idle timeout, so it never reuses one we closed.
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  // Must not exceed requestTimeout; bounded by the keep-alive window so a slow-header client is cut early.
  server.headersTimeout = Math.min(options.requestTimeoutMs, options.keepAliveTimeoutMs + 1_000);
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket));
  // After listen, errors such as EMFILE on accept are survivable; they must never crash the process.
  server.on('error', (error) => options.logger.error({ err: error }, 'http server error'));

  let stopping: Promise<void> | undefined;
  const stop = (drainMs: number): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      draining = true;
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      const idle = inFlight === 0 ? Promise.resolve() : new Promise<void>((done) => (drained = done));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((done) => (timer = setTimeout(done, drainMs)));
      void Promise.race([idle, deadline]).then(async () => {
        clearTimeout(timer);
        // Whatever still runs past the bound loses its connection; its transaction still ends in the database.
        server.closeAllConnections();
        await closed;
        resolve();
      });
    });
    return stopping;
  };

  const listen = (port: number, host: string): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new TransientError(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error, context: { host, port } }));
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });

  return { server, listen, stop };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  table: RouteTable,
  options: CentralServerOptions,
  isDraining: () => boolean,
): Promise<void> {
  const started = process.hrtime.bigint();
  const incomingId = req.headers['x-request-id'];
  const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  res.setHeader('x-request-id', requestId);
  // Made when something logs: most answers log nothing, and a child logger per request is a cost at fleet scale.
  let child: CentralLogger | undefined;
  const log = (): CentralLogger => (child ??= options.logger.child({ requestId }));
  let response: RouteResponse;
  const matched = { route: 'unmatched' };
  try {
    response = await routeRequest(req, table, options, log, matched);
  } catch (error) {
    response = problemResponse(error instanceof HttpProblem ? error : faultToProblem(error, log(), options.retryAfterSeconds));
  }
  try {
    await sendResponse(req, res, response, { closeConnection: isDraining() });
  } catch (error) {
    // The client went away mid-answer; nothing is left to tell it.
    log().debug({ err: error }, 'response not delivered');
    res.destroy();
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  options.onAnswered?.(matched.route, response.status, ms / 1_000);
  const fields = () => ({ method: req.method, path: req.url?.split('?')[0]?.slice(0, 200), status: response.status, ms: Math.round(ms) });
  if (response.status >= 500) log().warn(fields(), 'request failed');
  else if (response.status >= 400) log().info(fields(), 'request refused');
  else if (options.logger.isLevelEnabled('debug')) log().debug(fields(), 'request answered');
}

async function routeRequest(req: IncomingMessage, table: RouteTable, options: CentralServerOptions, log: () => CentralLogger, matched: { route: string }): Promise<RouteResponse> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://central.invalid');
  } catch {
    throw badRequest('the request target is not a valid path');
  }
  const match = table.match(req.method ?? '', url.pathname);
  if (match.kind === 'not-found') {
    throw new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', { detail: `no endpoint at ${url.pathname.slice(0, 200)}` });
  }
  if (match.kind === 'wrong-method') {
    throw new HttpProblem(405, PROBLEM_TYPES.methodNotAllowed, 'Method not allowed', {
      detail: `${url.pathname.slice(0, 200)} accepts ${match.allowed.join(', ')}`,
      headers: { allow: match.allowed.join(', ') },
    });
  }
  matched.route = match.route.path;
  let text: Promise<string> | undefined;
  const readText = (): Promise<string> => {
    text ??= (async () => {
      assertJsonContentType(req);
      return readBodyText(req, { maxBytes: options.maxBodyBytes });
    })();
    return text;
  };
  const request: RouteRequest = {
    method: match.route.method as HttpMethod,
    path: url.pathname,
    params: match.params,
    query: url.searchParams,
    headers: req.headers,
    get log() {
      return log();
    },
    raw: req,
    readText,
    readJson: async () => parseJson(await readText()),
  };
  return match.route.handle(request);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // SyntaxError for bad JSON; RangeError if nesting ever exhausts the stack. Both are the client's input.
    throw badRequest(`the request body is not valid JSON: ${error instanceof Error ? error.message.slice(0, 200) : 'parse error'}`);
  }
}
