import http from 'node:http';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { PdvHttpError, type Answer } from './pdv-http.js';

/** A streamed answer's lines as they come; null at its end. */
export interface Lines {
  next(): Promise<string | null>;
  /** Drops the connection of an unfinished answer. Safe to call twice. */
  close(): void;
}

/**
 * GET of a streamed answer on a PDV's keep-alive agent, as pull-service's HTTP client reads GET
 * /v1/changes/stream: a 200 resolves with its lines, each handed over as its newline arrives (gzip members one
 * per line, inflated as they come); any other status resolves whole, as an Answer.
 */
export function streamRequest(agent: http.Agent, url: URL, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<Answer | Lines> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', agent, headers: { 'accept-encoding': 'gzip', ...headers }, signal });
    let failed: Error | null = null;
    let ended = false;
    const lines: string[] = [];
    let partial = '';
    let waiting: { resolve(line: string | null): void; reject(error: Error): void } | null = null;
    const wake = (): void => {
      if (waiting === null) return;
      const taker = waiting;
      if (lines.length > 0) taker.resolve(lines.shift()!);
      else if (failed !== null) taker.reject(failed);
      else if (ended) taker.resolve(null);
      else return;
      waiting = null;
    };
    const fail = (error: Error): void => {
      if (failed !== null || ended) return;
      failed = error;
      clearTimeout(timer);
      req.destroy();
      wake();
      reject(error);
    };
    const timer = setTimeout(() => fail(new PdvHttpError(`GET ${url.pathname}: the stream did not end within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => fail(error));
    req.on('response', (res) => {
      const encoded = res.headers['content-encoding'] === 'gzip';
      if (res.statusCode !== 200) {
        const body = encoded ? res.pipe(createGunzip()) : res;
        body.setEncoding('utf8');
        let text = '';
        body.on('data', (chunk: string) => (text += chunk));
        body.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        });
        body.on('error', (error) => fail(error));
        return;
      }
      const take = (text: string): void => {
        partial += text;
        let newline = partial.indexOf('\n');
        while (newline >= 0) {
          lines.push(partial.slice(0, newline));
          partial = partial.slice(newline + 1);
          newline = partial.indexOf('\n');
        }
        wake();
      };
      if (encoded) {
        // Each line is a whole gzip member: the bytes in so far are inflated at once, on this thread, when they
        // end on a member's end (the usual case), else kept for the next chunk. pull-service's HTTP client pipes
        // the answer through a Gunzip stream instead, whose work goes to the thread pool: with thousands of
        // simulated PDVs in one process, that hand-off costs more than the inflate.
        let pending: Buffer | null = null;
        res.on('end', () => {
          if (pending !== null) fail(new PdvHttpError(`GET ${url.pathname}: the stream ended inside a gzip member`));
        });
        res.on('data', (chunk: Buffer) => {
          pending = pending === null ? chunk : Buffer.concat([pending, chunk]);
          let text: string;
          try {
            text = gunzipSync(pending).toString('utf8');
          } catch (error) {
            if ((error as { errno?: number }).errno === constants.Z_BUF_ERROR) return;
            fail(error as Error);
            return;
          }
          pending = null;
          take(text);
        });
      } else {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => take(chunk));
      }
      res.on('error', (error) => fail(error));
      res.on('aborted', () => fail(new PdvHttpError(`GET ${url.pathname}: the stream was cut off`)));
      res.on('end', () => {
        if (partial !== '') lines.push(partial);
        ended = true;
        clearTimeout(timer);
        wake();
      });
      resolve({
        next: () =>
          lines.length > 0 ? Promise.resolve(lines.shift()!) : failed !== null ? Promise.reject(failed) : ended ? Promise.resolve(null) : new Promise((resolveLine, rejectLine) => (waiting = { resolve: resolveLine, reject: rejectLine })),
        close: () => {
          if (!ended) fail(new PdvHttpError(`GET ${url.pathname}: closed`));
        },
      });
    });
    req.end();
  });
}
