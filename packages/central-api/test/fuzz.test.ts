import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { DEFAULT_FUZZ_SEED, malformedRequests } from './support/malformed-requests.js';
import { testSeed } from '../../../test-support/seeded-random.js';

const REQUESTS = 300;
const SEED = testSeed(DEFAULT_FUZZ_SEED);

/** Sends raw bytes over TCP and returns the first line of the answer. */
function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describeBackends('malformed input', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, { MAX_BODY_BYTES: String(256 * 1024) });
  });
  afterAll(async () => h?.close());

  it(`answers ${REQUESTS} malformed requests with 4xx (or every item rejected), never 5xx, and stores nothing`, async () => {
    const failures: string[] = [];
    for (const request of malformedRequests(PDVS.a.token, REQUESTS, SEED)) {
      // h.request also checks each answer against openapi.yaml.
      const response = await h.request(request.path, request.options).catch((error: unknown) => {
        failures.push(`${request.name}: ${String(error)}`);
        return undefined;
      });
      if (!response) continue;
      if (response.status === 200) {
        const results = (response.json as { results: { status: string; httpStatus: number }[] }).results;
        if (!results.every((r) => r.status === 'rejected' && r.httpStatus >= 400 && r.httpStatus < 500)) {
          failures.push(`${request.name}: an item was not rejected: ${response.text.slice(0, 300)}`);
        }
      } else if (response.status < 400 || response.status >= 500) {
        failures.push(`${request.name}: answered ${response.status} ${response.text.slice(0, 300)}`);
      }
    }
    const replay = `seed ${SEED} (TEST_SEED=${SEED} replays this run)`;
    expect(failures, replay).toEqual([]);
    expect(await h.inboxCount(), replay).toBe(0);
    expect(h.logs().filter((line) => line.level === 'error' || line.level === 'fatal'), replay).toEqual([]);
  });

  it.each([
    ['garbage instead of HTTP', 'GARBAGE\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['a bad header line', 'POST /v1/events HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['oversized headers', `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ['a bad chunked body', 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n', /^HTTP\/1\.1 4\d\d /],
  ])('answers %s at the HTTP level with 4xx', async (_case, bytes, expected) => {
    expect(await rawExchange(h.port, bytes)).toMatch(expected);
  });

  it('still answers and is ready afterwards', async () => {
    expect((await h.request('/health/ready')).status).toBe(200);
    expect(await h.inboxCount()).toBe(0);
  });
});
