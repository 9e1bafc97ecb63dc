import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received (still gzip-compressed when content-encoding says so). */
  raw: Buffer;
  /** The body decompressed and decoded. */
  text: string;
  /** JSON.parse of text, or undefined when the body is empty or not JSON. */
  json: unknown;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
}

/**
 * A bare node:http client: no header is added behind the test's back (fetch would add Accept-Encoding and
 * decompress), so that what the server answers is exactly what the test sees.
 */
export function send(port: number, path: string, options: RequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    const headers: Record<string, string | number> = { ...options.headers };
    if (body !== undefined && !options.chunked) headers['content-length'] = body.length;
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const decoded = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const text = decoded.toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined && options.chunked) {
      // Several chunks, so that the server sees a stream and not one buffer.
      const size = Math.max(1, Math.ceil(body.length / 8));
      for (let offset = 0; offset < body.length; offset += size) req.write(body.subarray(offset, offset + size));
    } else if (body !== undefined) {
      req.write(body);
    }
    req.end();
  });
}
