import { payloadFingerprint } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { makeEvent } from './support/events.js';

interface Results {
  results: { index: number; eventId: string | null; status: string; httpStatus: number; result?: string; error?: { code: string; message: string; field?: string } }[];
}

describeBackends('POST /v1/events', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, { MAX_EVENTS_PER_BATCH: '50' });
  });
  afterAll(async () => h?.close());

  const post = async (events: unknown[], token?: string) => {
    const response = await h.postJson('/v1/events', { events }, { token });
    expect(response.status).toBe(200);
    return (response.json as Results).results;
  };

  it('applies three events, then answers the same batch with three duplicates', async () => {
    const events = [makeEvent(), makeEvent(), makeEvent()];
    const first = await post(events);
    expect(first.map((r) => [r.index, r.eventId, r.status, r.httpStatus])).toEqual(events.map((e, i) => [i, e.eventId, 'applied', 201]));

    const again = await post(events);
    expect(again.map((r) => [r.status, r.httpStatus])).toEqual([['duplicate', 200], ['duplicate', 200], ['duplicate', 200]]);
    const { rows } = await h.db.query<{ payload: string; payload_hash: string; event_type: string }>(
      `SELECT payload, payload_hash, event_type FROM sync_inbox WHERE event_id = ${h.db.dialect === 'mssql' ? '@p1' : '$1'}`,
      [events[1]!.eventId],
    );
    expect(rows).toEqual([{ payload: events[1]!.payload, payload_hash: payloadFingerprint(events[1]!.payload), event_type: events[1]!.type }]);
  });

  it('answers conflict (422) for a known eventId with a different payload, and keeps the first payload', async () => {
    const event = makeEvent();
    await post([event]);
    const [result] = await post([{ ...event, payload: '{"changed":true}' }]);
    expect(result).toMatchObject({ status: 'conflict', httpStatus: 422, error: { code: 'payload_conflict' } });
    const { rows } = await h.db.query<{ payload: string }>(`SELECT payload FROM sync_inbox WHERE event_id = ${h.db.dialect === 'mssql' ? '@p1' : '$1'}`, [event.eventId]);
    expect(rows.map((r) => r.payload)).toEqual([event.payload]);
  });

  it('lets the first item of a repeated eventId win within one batch', async () => {
    const event = makeEvent();
    const before = await h.inboxCount();
    const results = await post([event, { ...event }, { ...event, payload: '{"other":1}' }, { ...event, eventId: event.eventId.toUpperCase() }]);
    expect(results.map((r) => [r.status, r.httpStatus])).toEqual([
      ['applied', 201],
      ['duplicate', 200],
      ['conflict', 422],
      ['duplicate', 200],
    ]);
    expect(results[3]!.eventId).toBe(event.eventId.toUpperCase());
    expect(await h.inboxCount()).toBe(before + 1);
  });

  it('rejects invalid items with the field at fault and applies their valid neighbours', async () => {
    const good1 = makeEvent();
    const good2 = makeEvent();
    const before = await h.inboxCount();
    const results = await post([
      good1,
      { ...makeEvent(), eventId: 'not-a-uuid' },
      { ...makeEvent(), type: 'Venda Finalizada' },
      (({ streamKey: _drop, ...rest }) => rest)(makeEvent()),
      { ...makeEvent(), payload: { total: '10.00' } },
      { ...makeEvent(), occurredAt: 'yesterday' },
      'not an object',
      { ...makeEvent(), payload: 'nul \u0000 inside' },
      { ...makeEvent(), streamKey: 'lone \ud800 surrogate' },
      good2,
    ]);
    expect(results.map((r) => [r.index, r.status, r.httpStatus, r.error?.field])).toEqual([
      [0, 'applied', 201, undefined],
      [1, 'rejected', 400, 'events[1].eventId'],
      [2, 'rejected', 400, 'events[2].type'],
      [3, 'rejected', 400, 'events[3].streamKey'],
      [4, 'rejected', 400, 'events[4].payload'],
      [5, 'rejected', 400, 'events[5].occurredAt'],
      [6, 'rejected', 400, 'events[6]'],
      [7, 'rejected', 400, 'events[7].payload'],
      [8, 'rejected', 400, 'events[8].streamKey'],
      [9, 'applied', 201, undefined],
    ]);
    expect(results[1]!.eventId).toBe('not-a-uuid');
    expect(results[3]!.error!.message).toBe('events[3].streamKey is required');
    expect(results[4]!.error!.message).toBe('events[4].payload must be a string');
    expect(await h.inboxCount()).toBe(before + 2);
  });

  it('refuses an item whose payload is not the JSON text of an object (400 invalid_event), storing none of them', async () => {
    const good = makeEvent();
    const before = await h.inboxCount();
    const notObjects = ['x', '[1]', '"s"', '42', 'null', '{"a":'];
    const results = await post([...notObjects.map((payload) => makeEvent({ payload })), good]);
    expect(results.slice(0, notObjects.length).map((r) => [r.index, r.status, r.httpStatus, r.error?.code, r.error?.field])).toEqual(
      notObjects.map((_, i) => [i, 'rejected', 400, 'invalid_event', `events[${i}].payload`]),
    );
    expect(results[1]!.error!.message).toBe(`events[1].payload must be the JSON text of an object`);
    expect(results[notObjects.length]).toMatchObject({ status: 'applied', httpStatus: 201 });
    expect(await h.inboxCount()).toBe(before + 1);
  });

  it('still answers 200 with per-item results when every item is invalid', async () => {
    const results = await post([{ eventId: 1 }, {}]);
    expect(results.map((r) => [r.status, r.httpStatus, r.error?.field])).toEqual([
      ['rejected', 400, 'events[0].eventId'],
      ['rejected', 400, 'events[1].eventId'],
    ]);
  });

  it.each([
    ['an array body', [makeEvent()], 'events'],
    ['no events member', { items: [] }, 'events'],
    ['events that is not an array', { events: 'x' }, 'events'],
    ['an empty batch', { events: [] }, 'events'],
    ['more events than MAX_EVENTS_PER_BATCH', { events: Array.from({ length: 51 }, () => makeEvent()) }, 'events'],
  ])('refuses %s with 400', async (_case, body, field) => {
    const before = await h.inboxCount();
    const response = await h.postJson('/v1/events', body);
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ status: 400, type: 'urn:goldpdv:problem:invalid-request', field });
    expect(await h.inboxCount()).toBe(before);
  });

  it('keeps PDVs apart: the same eventId from two PDVs is two inbox rows', async () => {
    const event = makeEvent();
    expect((await post([event], PDVS.a.token))[0]!.status).toBe('applied');
    expect((await post([event], PDVS.b.token))[0]!.status).toBe('applied');
    // A different payload under B's key is B's business only: A's row is untouched and A still sees a duplicate.
    expect((await post([{ ...event, payload: '{"b":2}' }], PDVS.b.token))[0]!.status).toBe('conflict');
    expect((await post([event], PDVS.a.token))[0]!.status).toBe('duplicate');
    const { rows } = await h.db.query<{ pdv_id: string }>(
      `SELECT pdv_id FROM sync_inbox WHERE event_id = ${h.db.dialect === 'mssql' ? '@p1' : '$1'} ORDER BY pdv_id`,
      [event.eventId],
    );
    expect(rows.map((r) => r.pdv_id)).toEqual([PDVS.a.pdvId, PDVS.b.pdvId]);
  });

  it('stores a full batch of the configured maximum in one go', async () => {
    const events = Array.from({ length: 50 }, () => makeEvent({ payload: JSON.stringify({ text: 'ç'.repeat(500) }) }));
    const before = await h.inboxCount();
    const results = await post(events);
    expect(results.every((r) => r.status === 'applied')).toBe(true);
    expect(await h.inboxCount()).toBe(before + 50);
  });

  // arrival_seq is the audit trail of each stream's order, so it must number a batch's events in item order. The
  // event ids run against item order (descending), so that an insert that followed the primary key's order
  // instead, as a plan sorting for the clustered index would, shows up here.
  it('numbers the events of a batch in arrival order, item by item, across streams and around a known event', async () => {
    const known = makeEvent({ streamKey: 'caixa:arrival-1' });
    await post([known]);
    const fresh = Array.from({ length: 48 }, (_, i) => makeEvent({ streamKey: `caixa:arrival-${i % 3}` }));
    const ids = fresh.map((e) => e.eventId).sort().reverse();
    fresh.forEach((event, i) => (event.eventId = ids[i]!));
    const batch = [...fresh.slice(0, 20), known, ...fresh.slice(20)];
    const results = await post(batch);
    expect(results.map((r) => r.status)).toEqual(batch.map((e) => (e === known ? 'duplicate' : 'applied')));

    const param = h.db.dialect === 'mssql' ? '@p1' : '$1';
    const { rows } = await h.db.query<{ event_id: string }>(
      `SELECT event_id FROM sync_inbox WHERE stream_key LIKE ${param} ORDER BY arrival_seq`,
      ['caixa:arrival-%'],
    );
    const arrived = rows.map((r) => String(r.event_id).toLowerCase());
    expect(arrived).toEqual([known.eventId, ...fresh.map((e) => e.eventId)]);
  });
});
