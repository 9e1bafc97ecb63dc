import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { gzipParts } from './gzip-parts.js';
import { JsonParts } from './json-parts.js';
import type { RouteResponse } from './route.js';
import type { HttpProblem } from './problem.js';

const gzipAsync = promisify(gzip);

/** Below this, gzip costs more (CPU, header bytes) than it saves. */
export const GZIP_MIN_BYTES = 1024;

export const JSON_TYPE = 'application/json; charset=utf-8';
export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export function problemResponse(problem: HttpProblem): RouteResponse {
  return { status: problem.status, body: problem.toProblemDetails(), contentType: PROBLEM_TYPE, headers: problem.headers };
}

/** True when Accept-Encoding lists gzip (or *) without q=0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((entry) => {
    const [coding, ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

export interface SendOptions {
  /** Set while the server drains for shutdown: the client must not reuse this connection. */
  closeConnection: boolean;
}

/**
 * Writes a RouteResponse: JSON body, gzip when the client accepts it and the body is big enough. A JsonParts body
 * is compressed from its parts, its shared texts deflated once for every answer that carries them.
 */
export async function sendResponse(req: IncomingMessage, res: ServerResponse, response: RouteResponse, options: SendOptions): Promise<void> {
  const headers: Record<string, string | number> = { 'cache-control': 'no-store', ...response.headers };
  if (options.closeConnection) headers.connection = 'close';
  if (response.body === undefined) {
    res.writeHead(response.status, { ...headers, 'content-length': 0 });
    res.end();
    return;
  }
  const parts = response.body instanceof JsonParts ? response.body : null;
  headers['content-type'] = response.contentType ?? JSON_TYPE;
  headers.vary = 'Accept-Encoding';
  // A JsonParts body is measured from its parts, and joined only when it goes out as it is.
  const plain = parts ? null : typeof response.body === 'string' && response.contentType ? response.body : JSON.stringify(response.body);
  const length = parts ? parts.byteLength : Buffer.byteLength(plain!, 'utf8');
  let body: Buffer | string;
  if (length > GZIP_MIN_BYTES && acceptsGzip(req.headers['accept-encoding'])) {
    // Level 1: on these JSON bodies it compresses within 2% of the default level for a half to a third of the CPU.
    // Parts compress by their shared texts alone (their own are stored): when those are most of the body, each is
    // deflated once for every answer; otherwise the whole text is compressed for this answer.
    body = parts && parts.sharedByteLength * 2 >= length ? await gzipParts(parts) : await gzipAsync(parts ? parts.text : plain!, { level: 1 });
    headers['content-encoding'] = 'gzip';
  } else {
    body = parts ? parts.text : plain!;
  }
  headers['content-length'] = typeof body === 'string' ? length : body.length;
  res.writeHead(response.status, headers);
  // A string body is joined to the head in one buffer; a Buffer goes with it in one writev.
  res.end(req.method === 'HEAD' ? undefined : body);
}
