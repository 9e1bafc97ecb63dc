import http from 'node:http';
import https from 'node:https';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { TransientError } from '@goldpdv/core';

const gzipAsync = promisify(gzip);

export interface HttpClientOptions {
  connectTimeoutMs: number;
  /** From the request being written to the whole answer being read. */
  responseTimeoutMs: number;
  /** Request bodies at least this large are gzip-compressed. */
  gzipMinBytes: number;
  rejectUnauthorized: boolean;
  ca?: string;
  maxSockets?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpClient {
  post(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse>;
  /** Closes the keep-alive sockets. Safe to call twice. */
  close(): void;
}

/**
 * A small HTTP client on node:http with keep-alive agents, separate connect and response timeouts, gzip
 * request bodies above a threshold and gzip responses. Network failures and timeouts come out as
 * TransientError with the driver error as `cause`, so the caller's classification is one `instanceof`.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets: options.maxSockets ?? 8 };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent({ ...agentOptions, rejectUnauthorized: options.rejectUnauthorized, ca: options.ca });

  return {
    async post(url, body, headers, signal) {
      const target = new URL(url);
      const raw = Buffer.from(body, 'utf8');
      const compress = raw.length >= options.gzipMinBytes;
      // Level 1: most of the saving on JSON for a fraction of the CPU of the default level.
      const payload = compress ? await gzipAsync(raw, { level: 1 }) : raw;
      const requestHeaders: Record<string, string> = {
        'content-type': 'application/json',
        'accept-encoding': 'gzip',
        'content-length': String(payload.length),
        ...(compress ? { 'content-encoding': 'gzip' } : {}),
        ...headers,
      };
      const secure = target.protocol === 'https:';
      return send(secure ? https : http, target, payload, requestHeaders, secure ? httpsAgent : httpAgent, options, signal);
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function send(
  transport: typeof http | typeof https,
  target: URL,
  payload: Buffer,
  headers: Record<string, string>,
  agent: http.Agent,
  options: HttpClientOptions,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(responseTimer);
      request.destroy();
      reject(new TransientError(message, { cause, context: { url: `${target.origin}${target.pathname}` } }));
    };
    const request = transport.request(target, { method: 'POST', headers, agent, signal }, (response) => {
      const chunks: Buffer[] = [];
      const stream = response.headers['content-encoding'] === 'gzip' ? response.pipe(createGunzip()) : response;
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => fail(`reading the response failed: ${error.message}`, error));
      response.on('aborted', () => fail('the response was cut off'));
      stream.on('end', () => {
        if (settled) return;
        if (!response.complete) return fail('the response was cut off');
        settled = true;
        clearTimeout(responseTimer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const responseTimer = setTimeout(() => fail(`no complete response within ${options.responseTimeoutMs} ms`), options.responseTimeoutMs);
    request.on('socket', (socket) => {
      // A reused keep-alive socket is already connected; only a new one gets the connect timeout.
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => fail(`could not connect within ${options.connectTimeoutMs} ms`), options.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('secureConnect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    request.on('error', (error: NodeJS.ErrnoException) => fail(`request failed: ${error.code ?? error.message}`, error));
    request.end(payload);
  });
}
