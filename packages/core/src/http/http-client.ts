import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { createGunzip, gzip } from 'node:zlib';
import type { ProxyAgent } from 'proxy-agent';
import { AnswerHeadTimeoutError, ContractError, TransientError } from '../errors/index.js';
import { readLines, type LineReader } from './line-reader.js';

const gzipAsync = promisify(gzip);

/**
 * A keep-alive HTTP client on node:http for both daemons' calls to the central API (GET for pull, POST for push),
 * with separate connect and response timeouts, gzip both ways and a bound on the answer's size.
 */
export interface HttpClientOptions {
  /** Bound on opening a new connection (a reused keep-alive socket skips it). */
  connectTimeoutMs: number;
  /** From the request being written to the whole answer being read; a call may ask for longer (long-poll). */
  responseTimeoutMs: number;
  /** Request bodies at least this large are gzip-compressed; default: never. */
  gzipMinBytes?: number;
  rejectUnauthorized: boolean;
  ca?: string;
  maxSockets?: number;
  /** Answers larger than this (after gunzip) are refused as a contract error; default 256 MiB. */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The whole answer; empty for a streamed answer, which is read through `lines`. */
  body: string;
  /** A streamed call's 200 answer, line by line (HttpRequest.lines); absent for every other answer. */
  lines?: LineReader;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Overrides the client's response timeout for this call, e.g. wait + margin for a long-poll. */
  responseTimeoutMs?: number;
  /**
   * A streamed answer: a 200 resolves once its head is in, and its body is read line by line (HttpResponse.lines),
   * within the response timeout as a whole; any other status is read whole as usual.
   */
  lines?: boolean;
  /**
   * With `lines`: the answer's head must come within this, else the call fails with AnswerHeadTimeoutError (a
   * TransientError), long before the response timeout. For a server that sends a stream's head early, so that
   * one held back on the way is told apart from one with nothing to say yet.
   */
  headTimeoutMs?: number;
}

export interface HttpClient {
  /** The outbound proxy the environment names (HTTPS_PROXY, HTTP_PROXY; NO_PROXY honoured), without credentials. */
  readonly proxy: string | null;
  request(request: HttpRequest): Promise<HttpResponse>;
  get(url: string, headers: Record<string, string>, signal?: AbortSignal, responseTimeoutMs?: number): Promise<HttpResponse>;
  post(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse>;
  /** GET of a streamed answer (HttpRequest.lines, HttpRequest.headTimeoutMs). */
  stream(url: string, headers: Record<string, string>, signal?: AbortSignal, responseTimeoutMs?: number, headTimeoutMs?: number): Promise<HttpResponse>;
  /** Closes the keep-alive sockets. Safe to call twice. */
  close(): void;
}

/**
 * Network failures and timeouts come out as TransientError with the driver error as `cause`, so callers
 * classify with one `instanceof`. A call aborted through its signal rejects with the signal's reason instead:
 * that is a shutdown, not a fault of the central API.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets: options.maxSockets ?? 8 };
  const tls = { rejectUnauthorized: options.rejectUnauthorized, ca: options.ca };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent({ ...agentOptions, ...tls });
  // Stores behind an outbound proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY as curl reads them (proxy-from-env),
  // per request URL; a URL the proxy does not cover goes through the direct agents above. Through the tunnel the
  // central API's certificate is still verified against the same CA, end to end.
  const proxy = configuredProxy();
  // Loaded on the first request, and only when a proxy is configured: proxy-agent brings its PAC, SOCKS and
  // HTTP(S) agents, about 10 MB, into every process otherwise.
  let proxyAgent: ProxyAgent | null = null;
  let loadingProxyAgent: Promise<ProxyAgent> | null = null;
  let closed = false;
  const agentFor = async (secure: boolean): Promise<http.Agent> => {
    if (proxy === null) return secure ? httpsAgent : httpAgent;
    loadingProxyAgent ??= import('proxy-agent').then(({ ProxyAgent: Agent }) => {
      const agent = new Agent({ ...agentOptions, ...tls, httpAgent, httpsAgent });
      // A client closed while the module loaded must not keep a fresh agent's sockets.
      if (closed) agent.destroy();
      return (proxyAgent = agent);
    });
    return loadingProxyAgent;
  };

  const request = async (call: HttpRequest): Promise<HttpResponse> => {
    const target = new URL(call.url);
    const headers: Record<string, string> = { 'accept-encoding': 'gzip', ...call.headers };
    let payload: Buffer | null = null;
    if (call.body !== undefined) {
      const raw = Buffer.from(call.body, 'utf8');
      const compress = options.gzipMinBytes !== undefined && raw.length >= options.gzipMinBytes;
      // Level 1: most of the saving on JSON for a fraction of the CPU of the default level.
      payload = compress ? await gzipAsync(raw, { level: 1 }) : raw;
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.length);
      if (compress) headers['content-encoding'] = 'gzip';
    }
    const secure = target.protocol === 'https:';
    return send(secure ? https : http, await agentFor(secure), target, call, headers, payload, options);
  };

  return {
    proxy,
    request,
    get: (url, headers, signal, responseTimeoutMs) => request({ method: 'GET', url, headers, signal, responseTimeoutMs }),
    post: (url, body, headers, signal) => request({ method: 'POST', url, body, headers, signal }),
    stream: (url, headers, signal, responseTimeoutMs, headTimeoutMs) => request({ method: 'GET', url, headers, signal, responseTimeoutMs, lines: true, headTimeoutMs }),
    close() {
      closed = true;
      proxyAgent?.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** The proxy the environment names, credentials removed (for logs), or null. */
function configuredProxy(): string | null {
  const value = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'].map((name) => process.env[name]).find((v) => v !== undefined && v.trim() !== '');
  if (value === undefined) return null;
  try {
    const url = new URL(value.includes('://') ? value : `http://${value}`);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//');
  }
}

function send(
  transport: typeof http | typeof https,
  agent: http.Agent,
  target: URL,
  call: HttpRequest,
  headers: Record<string, string>,
  payload: Buffer | null,
  options: HttpClientOptions,
): Promise<HttpResponse> {
  const limit = options.maxResponseBytes ?? 256 * 1024 * 1024;
  const timeoutMs = call.responseTimeoutMs ?? options.responseTimeoutMs;
  const where = { url: `${target.origin}${target.pathname}`, method: call.method };
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(responseTimer);
      clearTimeout(headTimer);
      call.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (message: string, cause?: unknown, Failure: typeof TransientError = TransientError) =>
      settle(() => {
        request.destroy();
        reject(call.signal?.aborted ? call.signal.reason : new Failure(message, { cause, context: where }));
      });
    const onAbort = () => fail('the request was aborted');

    // The TLS settings ride on the request too: through a proxy tunnel the proxy agent makes the TLS connection.
    const tlsOptions = target.protocol === 'https:' ? { rejectUnauthorized: options.rejectUnauthorized, ca: options.ca } : {};
    const request = transport.request(target, { method: call.method, headers, agent, ...tlsOptions }, (response) => {
      clearTimeout(headTimer);
      const chunks: Buffer[] = [];
      let size = 0;
      // A streamed answer may be several gzip members one after another (one per line); Gunzip reads them all.
      const stream = response.headers['content-encoding'] === 'gzip' ? response.pipe(createGunzip()) : response;
      if (call.lines && response.statusCode === 200) {
        // The time bound and the abort now belong to the line reader, for as long as the answer runs.
        const remainingMs = Math.max(0, timeoutMs - (Date.now() - startedAt));
        settle(() => {
          const lines = readLines({ body: stream, response, destroy: () => request.destroy(), maxLineBytes: limit, timeoutMs: remainingMs, signal: call.signal, where });
          resolve({ status: 200, headers: response.headers, body: '', lines });
        });
        return;
      }
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          settle(() => {
            request.destroy();
            reject(new ContractError(`the answer is larger than ${limit} bytes`, { context: { ...where, status: response.statusCode } }));
          });
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (error) => fail(`reading the answer failed: ${error.message}`, error));
      response.on('aborted', () => fail('the answer was cut off'));
      stream.on('end', () => {
        if (!response.complete) return fail('the answer was cut off');
        settle(() => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
    });
    const responseTimer = setTimeout(() => fail(`no complete answer within ${timeoutMs} ms`), timeoutMs);
    const headMs = call.lines ? call.headTimeoutMs : undefined;
    const headTimer = headMs === undefined ? undefined : setTimeout(() => fail(`no answer head within ${headMs} ms`, undefined, AnswerHeadTimeoutError), headMs);
    request.on('socket', (socket) => {
      // A reused keep-alive socket is already connected; only a new one gets the connect timeout.
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => fail(`could not connect within ${options.connectTimeoutMs} ms`), options.connectTimeoutMs);
      const clear = () => clearTimeout(connectTimer);
      socket.once('connect', clear);
      socket.once('secureConnect', clear);
      socket.once('close', clear);
    });
    request.on('error', (error: NodeJS.ErrnoException) => fail(`request failed: ${error.code ?? error.message}`, error));
    if (call.signal?.aborted) return onAbort();
    call.signal?.addEventListener('abort', onAbort, { once: true });
    request.end(payload ?? undefined);
  });
}
