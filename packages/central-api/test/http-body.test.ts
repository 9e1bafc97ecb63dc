import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { makeEvent } from './support/events.js';

const MAX_BODY_BYTES = 64 * 1024;

describeBackends('request and response bodies', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, { MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
  });
  afterAll(async () => h?.close());

  const auth = { authorization: `Bearer ${PDVS.a.token}` };
  const postRaw = (body: Buffer | string, headers: Record<string, string>, chunked = false) =>
    h.request('/v1/events', { method: 'POST', headers: { ...auth, ...headers }, body, chunked });

  it('accepts a gzip-compressed body', async () => {
    const response = await h.postJson('/v1/events', { events: [makeEvent()] }, { gzip: true });
    expect(response.status).toBe(200);
    expect((response.json as { results: { status: string }[] }).results[0]!.status).toBe('applied');
  });

  it.each([
    ['broken gzip', gzipSync('{"events":[]}').subarray(0, 12)],
    ['bytes that are not gzip at all', Buffer.from('{"events":[]}')],
  ])('answers 400 to %s', async (_case, body) => {
    const response = await postRaw(body, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ type: 'urn:goldpdv:problem:invalid-request' });
  });

  it('answers 415 to an unsupported Content-Encoding', async () => {
    const response = await postRaw('{}', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(response.status).toBe(415);
  });

  it.each([
    ['text/plain', 415],
    ['application/x-www-form-urlencoded', 415],
    ['application/json; charset=latin1', 415],
    ['application/json; charset=UTF-8', 200],
  ])('answers Content-Type %s with %i', async (contentType, status) => {
    const response = await postRaw(JSON.stringify({ events: [makeEvent()] }), { 'content-type': contentType });
    expect(response.status).toBe(status);
  });

  it('answers 415 when Content-Type is missing', async () => {
    const response = await postRaw(JSON.stringify({ events: [makeEvent()] }), {});
    expect(response.status).toBe(415);
  });

  it.each([
    ['truncated JSON', '{"events": [{"eventId": '],
    ['not JSON', 'events=1'],
    ['an empty body', ''],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ])('answers 400 to %s', async (_case, body) => {
    const response = await postRaw(body, { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ status: 400, type: 'urn:goldpdv:problem:invalid-request' });
  });

  it('answers 413 to a body over MAX_BODY_BYTES, announced by Content-Length', async () => {
    const response = await postRaw(Buffer.alloc(MAX_BODY_BYTES + 1, 0x20), { 'content-type': 'application/json' });
    expect(response.status).toBe(413);
    expect(response.json).toMatchObject({ type: 'urn:goldpdv:problem:payload-too-large', maxBytes: MAX_BODY_BYTES });
  });

  it('answers 413 to a chunked body that grows over MAX_BODY_BYTES', async () => {
    const response = await postRaw(Buffer.alloc(MAX_BODY_BYTES * 2, 0x20), { 'content-type': 'application/json' }, true);
    expect(response.status).toBe(413);
  });

  it('answers 413 to a small gzip body that inflates past MAX_BODY_BYTES', async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_BODY_BYTES * 64, 0x20));
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES / 4);
    const response = await postRaw(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(response.status).toBe(413);
  });

  it('keeps answering after refusing bodies', async () => {
    expect((await h.request('/health/live')).status).toBe(200);
  });

  it('gzips a response over 1 KiB when the client accepts gzip, and only then', async () => {
    const events = Array.from({ length: 20 }, () => makeEvent());
    const body = JSON.stringify({ events });
    const headers = { ...auth, 'content-type': 'application/json' };
    const zipped = await h.request('/v1/events', { method: 'POST', headers: { ...headers, 'accept-encoding': 'gzip, deflate' }, body });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(JSON.parse(gunzipSync(zipped.raw).toString('utf8')).results).toHaveLength(20);

    const plain = await h.request('/v1/events', { method: 'POST', headers, body });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const refused = await h.request('/v1/events', { method: 'POST', headers: { ...headers, 'accept-encoding': 'gzip;q=0' }, body });
    expect(refused.headers['content-encoding']).toBeUndefined();
    const small = await h.request('/health/live', { headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('answers problems for unknown paths and wrong methods', async () => {
    const missing = await h.request('/v2/nothing');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wrongMethod = await h.request('/v1/events', { method: 'GET', headers: auth });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
  });

  it('echoes a usable X-Request-Id and makes one up otherwise', async () => {
    expect((await h.request('/health/live', { headers: { 'x-request-id': 'abc-123' } })).headers['x-request-id']).toBe('abc-123');
    expect((await h.request('/health/live', { headers: { 'x-request-id': 'bad id\t' } })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
