import type { IncomingMessage } from 'node:http';
import { createGunzip, type Gunzip } from 'node:zlib';
import { badRequest, payloadTooLarge, unsupportedMediaType } from './problem.js';

export interface BodyLimits {
  /** Bound on the body, both as sent and after gzip is undone (a small gzip can inflate to gigabytes). */
  maxBytes: number;
}

// A client that announces a body this much over the limit is not worth listening to: its connection is closed
// instead of its body being read and discarded.
const DISCARD_FACTOR = 4;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Checks that the request says it carries JSON in UTF-8; the body itself is not touched. */
export function assertJsonContentType(req: IncomingMessage): void {
  const header = req.headers['content-type'];
  if (header === undefined) throw unsupportedMediaType('Content-Type must be application/json; none was sent');
  const [mediaType, ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') throw unsupportedMediaType(`Content-Type must be application/json; found ${header.slice(0, 100)}`);
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=').map((part) => part.trim().replace(/^"|"$/g, ''));
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      throw unsupportedMediaType(`only the utf-8 charset is accepted; found ${value?.slice(0, 40) ?? ''}`);
    }
  }
}

/**
 * Reads the whole body as UTF-8 text. `Content-Encoding: gzip` is undone on the fly and the inflated size is
 * counted as it grows, so a gzip bomb stops at the limit. Over the limit the rest of the body is read and
 * thrown away (unless the announced length is absurd), so that the client gets its 413 instead of a reset.
 */
export async function readBodyText(req: IncomingMessage, limits: BodyLimits): Promise<string> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw unsupportedMediaType(`Content-Encoding must be gzip or identity; found ${encoding.slice(0, 40)}`);
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    const problem = payloadTooLarge(limits.maxBytes);
    // Node closes the connection after an answer that says so, without reading the rest of the body.
    if (declared > limits.maxBytes * DISCARD_FACTOR) problem.headers.connection = 'close';
    else req.resume();
    throw problem;
  }
  const bytes = await collect(req, encoding === 'identity' ? null : inflate(req), limits.maxBytes);
  try {
    return utf8.decode(bytes);
  } catch {
    throw badRequest('the request body is not valid UTF-8');
  }
}

function inflate(req: IncomingMessage): Gunzip {
  const gunzip = createGunzip();
  req.pipe(gunzip);
  return gunzip;
}

/** Collects the request (or, with gzip, what its gunzip emits) up to maxBytes. */
function collect(req: IncomingMessage, gunzip: Gunzip | null, maxBytes: number): Promise<Buffer> {
  const source = gunzip ?? req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | null, value?: Buffer): void => {
      if (done) return;
      done = true;
      source.removeListener('data', onData);
      if (error) {
        if (gunzip) {
          req.unpipe(gunzip);
          gunzip.destroy();
        }
        // Keep reading (and dropping) what the client still sends, so that it sees the answer.
        req.resume();
        reject(error);
      } else {
        resolve(value!);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(payloadTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => finish(null, Buffer.concat(chunks, size)));
    // on, not once: a stream that errors twice must not crash the process with an unhandled 'error'.
    source.on('error', (error: Error) => {
      finish(gunzip === null ? badRequest('the request body could not be read') : badRequest(`the gzip body cannot be decompressed: ${error.message}`));
    });
    // A client that hangs up mid-body gets no answer anyway; the handler must still stop waiting.
    req.once('close', () => {
      if (!req.complete) finish(badRequest('the client closed the connection before the body ended'));
    });
  });
}
