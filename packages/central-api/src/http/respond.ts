import type { IncomingMessage, ServerResponse } from 'node:http';
import { STREAM_HEARTBEAT_HEADER, STREAM_HEARTBEAT_LINE } from '@goldpdv/core';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { gzipParts } from './gzip-parts.js';
import { JsonLines, lineOf, NDJSON_TYPE } from './json-lines.js';
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
  if (response.body instanceof JsonLines) return sendLines(req, res, response, response.body, headers);
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
    body = parts ? await gzipJsonParts(parts, length) : await gzipAsync(plain!, { level: 1 });
    headers['content-encoding'] = 'gzip';
  } else {
    body = parts ? parts.text : plain!;
  }
  headers['content-length'] = typeof body === 'string' ? length : body.length;
  res.writeHead(response.status, headers);
  // A string body is joined to the head in one buffer; a Buffer goes with it in one writev.
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * A streamed answer: its head with the first line, then each line as the producer makes it. With gzip, each line is a gzip
 * member of its own (RFC 1952 lets members follow one another), so that no compressor is kept per connection and
 * a line's shared texts are the deflate blocks made once for every answer (gzip-parts.ts).
 *
 * With heartbeats, a heartbeat line goes out after each `heartbeatMs` without a line; when the producer had no
 * first line within that time (headNow), the head goes out at once with the first heartbeat, since a proxy
 * would cut an answer whose head does not come.
 */
async function sendLines(req: IncomingMessage, res: ServerResponse, response: RouteResponse, body: JsonLines, headers: Record<string, string | number>): Promise<void> {
  let beat: NodeJS.Timeout | undefined;
  // A HEAD request gets the head only, so nothing to keep alive.
  const { heartbeatMs, headNow } = req.method === 'HEAD' ? { heartbeatMs: 0, headNow: false } : body.heartbeat;
  try {
    // The head goes out with the first line, or at the end when there is none: an empty answer is not gzip.
    let next = headNow ? null : await body.lines.next();
    const gzip = !next?.done && acceptsGzip(req.headers['accept-encoding']);
    headers['content-type'] = NDJSON_TYPE;
    headers.vary = 'Accept-Encoding';
    // A proxy that buffers answers (nginx does by default) would hold every line back until the answer ends.
    headers['x-accel-buffering'] = 'no';
    if (gzip) headers['content-encoding'] = 'gzip';
    if (heartbeatMs > 0) headers[STREAM_HEARTBEAT_HEADER] = heartbeatMs;
    res.writeHead(response.status, headers);
    if (req.method === 'HEAD') return void res.end();
    if (heartbeatMs > 0) {
      const heartbeat = gzip ? await gzippedHeartbeat() : HEARTBEAT_TEXT;
      // Skipped while the client is behind: it has lines to read, and the stall bound (drainedOrGone) applies.
      const sendBeat = (): void => void (res.destroyed || res.writableNeedDrain || res.write(heartbeat));
      beat = setInterval(sendBeat, heartbeatMs);
      if (next === null) sendBeat();
    }
    // This frame outlives each line by the seconds until the next one, for every open stream: it holds no line
    // meanwhile (next is cleared, the line is made and written by sendLine), or a change's lines would all live
    // through the young generation's next collection and be copied, thousands at a time.
    for (;;) {
      next ??= await body.lines.next();
      if (next.done || res.destroyed) break;
      const pending = sendLine(res, next.value, gzip, beat);
      next = null;
      if (pending !== undefined) await pending;
      if (res.destroyed) break;
    }
    res.end();
  } finally {
    clearInterval(beat);
    await body.close();
  }
}

/**
 * Writes one line of a stream; a promise only when something must be waited for: its compression (the first
 * answer of a page, whose shared texts are deflated then, or a line mostly of its own text, compressed whole),
 * or the client's reading (a full socket buffer).
 */
function sendLine(res: ServerResponse, parts: JsonParts, gzip: boolean, beat: NodeJS.Timeout | undefined): Promise<void> | undefined {
  const line = lineOf(parts);
  const made = gzip ? gzipJsonParts(line) : line.text;
  return made instanceof Promise ? made.then((bytes) => writeLine(res, bytes, beat)) : writeLine(res, made, beat);
}

function writeLine(res: ServerResponse, bytes: Buffer | string, beat: NodeJS.Timeout | undefined): Promise<void> | undefined {
  if (res.destroyed) return undefined;
  // A line restarts the heartbeat interval: heartbeats fill silences only.
  beat?.refresh();
  return res.write(bytes) ? undefined : drainedOrGone(res);
}

const HEARTBEAT_TEXT = `${STREAM_HEARTBEAT_LINE}\n`;
let heartbeatMember: Promise<Buffer> | null = null;

/** The heartbeat line as a gzip member: the same bytes for every stream, made once. */
function gzippedHeartbeat(): Promise<Buffer> {
  return (heartbeatMember ??= gzipAsync(HEARTBEAT_TEXT, { level: 1 }));
}

/**
 * One gzip member of a JsonParts body. Parts compress by their shared texts alone (their own are stored): when
 * those are most of the body, each is deflated once for every answer (gzip-parts.ts), and a short body goes as
 * stored blocks with no compressor at all; otherwise the whole text is compressed for this answer, at level 1,
 * which on these JSON bodies comes within 2% of the default level for a half to a third of the CPU.
 */
function gzipJsonParts(parts: JsonParts, length = parts.byteLength): Buffer | Promise<Buffer> {
  if (parts.sharedByteLength * 2 >= length || length <= GZIP_MIN_BYTES) return gzipParts(parts);
  return gzipAsync(parts.text, { level: 1 });
}

/** A client that reads nothing for this long loses its stream, and the stream its place under the cap. */
const STALLED_READER_MS = 30_000;

function drainedOrGone(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(stalled);
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    const stalled = setTimeout(() => {
      res.destroy();
      done();
    }, STALLED_READER_MS);
    res.once('drain', done);
    res.once('close', done);
  });
}
