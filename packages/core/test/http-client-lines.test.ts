import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerHeadTimeoutError, ContractError, createHttpClient, TransientError } from '../src/index.js';

/**
 * A streamed answer read line by line over a real loopback connection: each line is handed over while the
 * answer is still open, a gzip answer of one member per line inflates line by line, and a cut, a timeout, an
 * abort and an oversized line each end it with their own error.
 */
describe('http client: streamed answers', () => {
  let server: Server;
  let baseUrl: string;
  /** Answers waiting for the test to write their next line. */
  const open = new Map<string, ServerResponse>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/held-back') {
        // A proxy that buffers streamed answers: nothing, not even the head, until the answer ends.
        open.set(path, res);
        return;
      }
      if (path === '/refused') {
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '2' }).end('{"status":503}');
        return;
      }
      const gzip = path === '/gzip';
      res.writeHead(200, { 'content-type': 'application/x-ndjson', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      res.flushHeaders();
      open.set(path, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = () => createHttpClient({ connectTimeoutMs: 1_000, responseTimeoutMs: 5_000, rejectUnauthorized: true, maxResponseBytes: 64 });
  const answerOf = async (path: string): Promise<ServerResponse> => {
    for (let tries = 0; tries < 200 && !open.has(path); tries++) await new Promise((resolve) => setTimeout(resolve, 5));
    const res = open.get(path);
    if (!res) throw new Error(`no request for ${path}`);
    open.delete(path);
    return res;
  };

  it('hands over each line while the answer is still open, and null at its end', async () => {
    const http = client();
    const response = await http.stream(`${baseUrl}/plain`, {});
    const res = await answerOf('/plain');
    expect(response.status).toBe(200);
    res.write('{"n":1}\n{"n"');
    expect(await response.lines!.next()).toBe('{"n":1}');
    res.write(':2}\n');
    expect(await response.lines!.next()).toBe('{"n":2}');
    res.end('{"n":3}');
    expect(await response.lines!.next()).toBe('{"n":3}');
    expect(await response.lines!.next()).toBeNull();
    http.close();
  });

  it('inflates a gzip answer of one member per line, each as it arrives', async () => {
    const http = client();
    const response = await http.stream(`${baseUrl}/gzip`, {});
    const res = await answerOf('/gzip');
    res.write(gzipSync('{"n":"é"}\n'));
    expect(await response.lines!.next()).toBe('{"n":"é"}');
    res.write(gzipSync('{"n":2}\n'));
    expect(await response.lines!.next()).toBe('{"n":2}');
    res.end();
    expect(await response.lines!.next()).toBeNull();
    http.close();
  });

  it('reads any other status whole, with no line reader', async () => {
    const http = client();
    const response = await http.stream(`${baseUrl}/refused`, {});
    expect(response.status).toBe(503);
    expect(response.body).toBe('{"status":503}');
    expect(response.lines).toBeUndefined();
    http.close();
  });

  it('fails a cut answer, an oversized line, a call past its time and an aborted one, each with its own error', async () => {
    const http = client();
    const cut = await http.stream(`${baseUrl}/cut`, {});
    (await answerOf('/cut')).destroy();
    await expect(cut.lines!.next()).rejects.toBeInstanceOf(TransientError);

    const long = await http.stream(`${baseUrl}/long`, {});
    (await answerOf('/long')).write('x'.repeat(100));
    await expect(long.lines!.next()).rejects.toBeInstanceOf(ContractError);

    const slow = await http.stream(`${baseUrl}/slow`, {}, undefined, 300);
    await answerOf('/slow');
    await expect(slow.lines!.next()).rejects.toThrow(/did not end within/);

    const stop = new AbortController();
    const stopped = await http.stream(`${baseUrl}/stopped`, {}, stop.signal);
    await answerOf('/stopped');
    const pending = stopped.lines!.next();
    stop.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');

    // Closing twice is harmless, and a closed reader answers no more lines.
    const closed = await http.stream(`${baseUrl}/closed`, {});
    await answerOf('/closed');
    closed.lines!.close();
    closed.lines!.close();
    await expect(closed.lines!.next()).rejects.toThrow(/closed/);
    http.close();
  });

  it('bounds the silence of an answer when asked: each byte restarts the bound, and a silent connection fails', async () => {
    const http = client();
    const response = await http.stream(`${baseUrl}/beating`, {});
    const res = await answerOf('/beating');
    response.lines!.boundSilence(300);
    // Lines 150 ms apart keep it alive well past the bound.
    for (let n = 1; n <= 4; n++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      res.write(`{"n":${n}}\n`);
      expect(await response.lines!.next()).toBe(`{"n":${n}}`);
    }
    // Then nothing: the reader fails on its own, as for a connection that went dead without a word.
    const started = Date.now();
    await expect(response.lines!.next()).rejects.toThrow(/silent for 300 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    http.close();
  });

  it('fails a streamed call whose head does not come within its head timeout, and keeps one whose head came', async () => {
    const http = client();
    const started = Date.now();
    const heldBack = http.stream(`${baseUrl}/held-back`, {}, undefined, 5_000, 200);
    const res = await answerOf('/held-back');
    await expect(heldBack).rejects.toBeInstanceOf(AnswerHeadTimeoutError);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(4_000);
    res.destroy();

    // The head came at once: the head timeout no longer applies, and a line long after it is read.
    const response = await http.stream(`${baseUrl}/plain`, {}, undefined, 5_000, 200);
    const plain = await answerOf('/plain');
    await new Promise((resolve) => setTimeout(resolve, 400));
    plain.end('{"n":1}\n');
    expect(await response.lines!.next()).toBe('{"n":1}');
    expect(await response.lines!.next()).toBeNull();
    http.close();
  });
});
