import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { vendaPayload } from './support/events.js';

describeBackends('POST /v1/events/{eventId}', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, { EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda' });
  });
  afterAll(async () => h?.close());

  const headersFor = (eventId: string, overrides: Record<string, string | undefined> = {}): Record<string, string> => {
    const headers: Record<string, string | undefined> = {
      authorization: `Bearer ${PDVS.a.token}`,
      'content-type': 'application/json',
      'idempotency-key': eventId,
      'x-event-type': 'venda.finalizada',
      'x-stream-key': 'caixa:7c9e6679',
      'x-occurred-at': '2026-11-30T10:02:31.654Z',
      ...overrides,
    };
    return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
  };
  const push = (eventId: string, payload: string, overrides: Record<string, string | undefined> = {}) =>
    h.request(`/v1/events/${eventId}`, { method: 'POST', headers: headersFor(eventId, overrides), body: payload });

  it('answers 201 applied, then 200 with the replayed result, then 422 for a different payload', async () => {
    const eventId = randomUUID();
    const vendaId = randomUUID();
    const payload = JSON.stringify(vendaPayload({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId }));
    const expected = `{"venda_id":"${vendaId}","itens":1,"pagamentos":1}`;

    const created = await push(eventId, payload);
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ eventId, status: 'applied', result: expected });

    const replay = await push(eventId, payload);
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual({ eventId, status: 'duplicate', result: expected });

    const conflict = await push(eventId, payload.replace('10.0000', '11.0000'));
    expect(conflict.status).toBe(422);
    expect(conflict.json).toMatchObject({ type: 'urn:goldpdv:problem:payload-conflict', eventId });
  });

  it('stores the body byte for byte as the payload', async () => {
    const eventId = randomUUID();
    const payload = `{ "venda_id" : "${randomUUID()}",\n  "total": "0.1000" }`;
    const response = await push(eventId, payload, { 'x-event-type': 'nfe.autorizada' });
    expect(response.status).toBe(201);
    const { rows } = await h.db.query<{ payload: string }>(`SELECT payload FROM sync_inbox WHERE event_id = ${h.db.dialect === 'mssql' ? '@p1' : '$1'}`, [eventId]);
    expect(rows).toEqual([{ payload }]);
  });

  it('answers 422 event-rejected when the handler refuses the event, and keeps nothing', async () => {
    const eventId = randomUUID();
    const response = await push(eventId, JSON.stringify({ pdv_id: PDVS.a.pdvId, loja_id: 1 }));
    expect(response.status).toBe(422);
    expect(response.json).toMatchObject({ type: 'urn:goldpdv:problem:event-rejected', eventId });
    expect(await h.inboxCount()).toBe(2);
  });

  it.each([
    ['no Idempotency-Key', { 'idempotency-key': undefined }, 'Idempotency-Key'],
    ['an Idempotency-Key that differs from the path', { 'idempotency-key': randomUUID() }, 'Idempotency-Key'],
    ['no X-Event-Type', { 'x-event-type': undefined }, 'X-Event-Type'],
    ['a bad X-Occurred-At', { 'x-occurred-at': '30/11/2026' }, 'X-Occurred-At'],
    ['an empty X-Stream-Key', { 'x-stream-key': '' }, 'X-Stream-Key'],
  ])('answers 400 to %s, naming the header', async (_case, overrides, field) => {
    const eventId = randomUUID();
    const response = await push(eventId, '{"a":1}', overrides);
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ status: 400, field });
  });

  it('answers 400 to an eventId that is not a UUID, and to a body that is not JSON', async () => {
    const badId = await push('not-a-uuid', '{"a":1}');
    expect(badId.status).toBe(400);
    expect(badId.json).toMatchObject({ field: 'eventId' });
    const notJson = await push(randomUUID(), '{"a":');
    expect(notJson.status).toBe(400);
  });

  it.each(['x', '[1]', '"s"', '42', 'null'])('answers 400 naming the body when the payload is %s, not the JSON text of an object, and stores nothing', async (payload) => {
    const before = await h.inboxCount();
    const response = await push(randomUUID(), payload);
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ status: 400, type: 'urn:goldpdv:problem:invalid-request', field: 'body' });
    expect((response.json as { detail: string }).detail).toMatch(/^body must be (the )?JSON text/);
    expect(await h.inboxCount()).toBe(before);
  });

  it('accepts the Idempotency-Key in another letter case', async () => {
    const eventId = randomUUID();
    const response = await push(eventId, '{"a":1}', { 'idempotency-key': eventId.toUpperCase(), 'x-event-type': 'nfe.autorizada' });
    expect(response.status).toBe(201);
  });

  it('requires a token like the batch endpoint', async () => {
    const eventId = randomUUID();
    const response = await push(eventId, '{"a":1}', { authorization: undefined });
    expect(response.status).toBe(401);
  });
});
