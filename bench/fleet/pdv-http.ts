import http from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class PdvHttpError extends Error {}

/**
 * One request on a PDV's own keep-alive agent (as each daemon has its own). Rejects on network failures and
 * after `timeoutMs`; aborting `signal` destroys the socket, as pull-service's cancelled long-polls do. It
 * accepts gzip, as the daemons' HTTP client does, so that central-api compresses what it would for them.
 */
export function request(
  agent: http.Agent,
  url: URL,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body: string | null,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const accepting = { 'accept-encoding': 'gzip', ...headers };
    const outgoing = body === null ? accepting : { ...accepting, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request(url, { method, agent, headers: outgoing, signal });
    const timer = setTimeout(() => req.destroy(new PdvHttpError(`${method} ${url.pathname}: no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        let raw = Buffer.concat(chunks);
        try {
          if (res.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        } catch (error) {
          reject(new PdvHttpError(`${method} ${url.pathname}: the gzip answer does not inflate: ${(error as Error).message}`));
          return;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8') });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body ?? undefined);
  });
}
