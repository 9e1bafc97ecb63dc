import { gzipSync } from 'node:zlib';
import type { RequestOptions } from './http-client.js';
import { makeEvent as makeTestEvent, type TestEvent } from './events.js';
import { mulberry32 } from '../../../../test-support/mulberry32.js';

export interface MalformedRequest {
  name: string;
  path: string;
  options: RequestOptions;
}

/** A version-4 UUID drawn from the seeded generator, so that even the event ids of a run can be replayed. */
function seededUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)]!;
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

const SQL_METACHARACTERS = ["'; DROP TABLE sync_inbox; --", '" OR 1=1 --', '\\x27', '$1', '@p1', "'); EXEC xp_cmdshell('dir'); --", '%', '_', ';', '/* */'];
const UNICODE_EDGES = ['\ud800', '\udfff', '\u0000', '\ufeff', '\u202e', 'é'.normalize('NFD'), '😀', '\uffff', '\u2028'];

/** Payloads that are strings, as the envelope wants, but not the JSON text of an object. */
const NOT_OBJECT_PAYLOADS = ['x', '[1]', '"s"', '1', 'null', 'true', '', ' ', '{"a":', '[]', '{}x', "{'a':1}"];

/** The seed a run uses unless TEST_SEED names another; a failure prints it so that the run can be replayed. */
export const DEFAULT_FUZZ_SEED = 20261130;

/**
 * Requests that are wrong at the HTTP or envelope level (must be answered 4xx) and batches whose every item
 * is wrong (answered 200 with every item rejected). No generated item is valid: each one breaks at least
 * the eventId, the type, the payload or the envelope, so that nothing may be stored. Everything, event ids
 * included, is drawn from `seed`.
 */
export function malformedRequests(token: string, count: number, seed = DEFAULT_FUZZ_SEED): MalformedRequest[] {
  const random = mulberry32(seed);
  const makeEvent = (overrides: Partial<TestEvent> = {}): TestEvent => makeTestEvent({ eventId: seededUuid(random), ...overrides });
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const post = (name: string, body: Buffer | string, headers: Record<string, string> = json, path = '/v1/events'): MalformedRequest => ({
    name,
    path,
    options: { method: 'POST', headers, body },
  });
  const batch = (items: unknown[]) => JSON.stringify({ events: items });
  const badItem = (): Record<string, unknown> => {
    const event: Record<string, unknown> = { ...makeEvent() };
    const field = pick(['eventId', 'type', 'occurredAt']);
    event[field] = pick<unknown>([
      pick(SQL_METACHARACTERS),
      pick(UNICODE_EDGES),
      123,
      null,
      true,
      [],
      {},
      'x'.repeat(Math.floor(random() * 5_000)),
      `${String(event.eventId)}${pick(UNICODE_EDGES)}`,
    ]);
    if (random() < 0.5) event.streamKey = pick([...SQL_METACHARACTERS, ...UNICODE_EDGES, 42, null]);
    if (random() < 0.5) event.payload = pick<unknown>([pick(SQL_METACHARACTERS), { nested: true }, 3.14, null, '\u0000', '\ud83d']);
    return event;
  };
  const nested = (depth: number, open: string, close: string) => `${open.repeat(depth)}${close.repeat(depth)}`;

  const generators: (() => MalformedRequest)[] = [
    () => post('random bytes', randomBytes(1 + Math.floor(random() * 2_000))),
    () => post('random bytes, gzip header', randomBytes(1 + Math.floor(random() * 500)), { ...json, 'content-encoding': 'gzip' }),
    () => post('gzip of random bytes', gzipSync(randomBytes(1 + Math.floor(random() * 500))), { ...json, 'content-encoding': 'gzip' }),
    () => post('deep array nesting', nested(1_000 + Math.floor(random() * 100_000), '[', ']')),
    () => post('deep nesting in events', `{"events":${nested(1_000 + Math.floor(random() * 50_000), '[', ']')}}`),
    () => post('deep object nesting', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`),
    () => post('huge string over the body limit', JSON.stringify({ events: ['x'.repeat(300 * 1024)] })),
    () => post('events of the wrong type', JSON.stringify({ events: pick<unknown>([{}, 'events', 7, null, true]) })),
    () => post('a body that is not an object', JSON.stringify(pick<unknown>([null, 1, 'events', [], true]))),
    () => post('too many events', batch(Array.from({ length: 1_001 }, () => 1))),
    () => post('empty events', batch([])),
    () => post('truncated JSON', batch([makeEvent()]).slice(0, Math.floor(random() * 100))),
    () => post('invalid UTF-8', Buffer.concat([Buffer.from('{"events":["'), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from('"]}')])),
    () => post('items that are all invalid', batch(Array.from({ length: 1 + Math.floor(random() * 20) }, badItem))),
    () => post('items of the wrong type', batch(Array.from({ length: 1 + Math.floor(random() * 10) }, () => pick<unknown>([1, 'x', null, [], true])))),
    () => post('wrong content type', batch([makeEvent()]), { ...json, 'content-type': pick(['text/plain', 'application/xml', 'multipart/form-data', 'application/json; charset=utf-16']) }),
    () => post('unknown content encoding', batch([makeEvent()]), { ...json, 'content-encoding': pick(['br', 'deflate', 'compress', 'gzip, gzip']) }),
    () => post('garbage authorization', batch([makeEvent()]), { ...json, authorization: pick(['Bearer', 'Bearer ', `Bearer ${pick(SQL_METACHARACTERS)}`, `Bearer ${'a'.repeat(600)}`, 'Token x']) }),
    () => post('no authorization', batch([makeEvent()]), { 'content-type': 'application/json' }),
    () => ({ name: 'wrong method', path: '/v1/events', options: { method: pick(['GET', 'PUT', 'DELETE', 'PATCH']), headers: json } }),
    () => ({ name: 'unknown path', path: pick(['/v1/events/', '/v1/event', `/v1/${encodeURIComponent(pick(SQL_METACHARACTERS))}`, '/%zz', `/${'a/'.repeat(200)}`]), options: { method: 'POST', headers: json, body: '{}' } }),
    () => {
      const id = pick([pick(SQL_METACHARACTERS), 'not-a-uuid', '%00', '00000000-0000-4000-8000-00000000000g']);
      return post('one event, bad id', '{"a":1}', { ...json, 'idempotency-key': id, 'x-event-type': 'venda.finalizada', 'x-stream-key': 's', 'x-occurred-at': '2026-11-30T10:00:00Z' }, `/v1/events/${encodeURIComponent(id)}`);
    },
    () => {
      const id = makeEvent().eventId;
      const headers: Record<string, string> = { ...json, 'idempotency-key': id, 'x-event-type': 'venda.finalizada', 'x-stream-key': 's', 'x-occurred-at': '2026-11-30T10:00:00Z' };
      // Each replacement is invalid for its header (a stream key may be any text up to 128 characters).
      const broken = pick(['idempotency-key', 'x-event-type', 'x-stream-key', 'x-occurred-at']);
      if (random() < 0.5) delete headers[broken];
      else headers[broken] = pick(broken === 'x-stream-key' ? ['', 'x'.repeat(300)] : ['', 'DROP TABLE', 'x'.repeat(300)]);
      return post('one event, bad header', '{"a":1}', headers, `/v1/events/${id}`);
    },
    () => post('items whose payload is not the JSON text of an object', batch(Array.from({ length: 1 + Math.floor(random() * 5) }, () => makeEvent({ payload: pick(NOT_OBJECT_PAYLOADS) })))),
    () => {
      const id = makeEvent().eventId;
      const headers = { ...json, 'idempotency-key': id, 'x-event-type': 'venda.finalizada', 'x-stream-key': 's', 'x-occurred-at': '2026-11-30T10:00:00Z' };
      return post('one event, payload not an object', pick(NOT_OBJECT_PAYLOADS), headers, `/v1/events/${id}`);
    },
  ];
  return Array.from({ length: count }, (_, i) => {
    const request = generators[i % generators.length]!();
    return { ...request, name: `#${i} ${request.name}` };
  });
}
