import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { payloadFingerprint } from '@goldpdv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { purgeInbox } from '../src/ingest/inbox-purge.js';
import { POSTGRES_INBOX_PURGE_STORE } from '../src/ingest/inbox-purge-store.postgres.js';
import { PURGED_OUTCOME } from '../src/ingest/inbox-purge-store.js';
import { startInboxRetentionSchedule } from '../src/ingest/inbox-retention-schedule.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { makeEvent, vendaEvent, vendaPayload, type TestEvent } from './support/events.js';
import { backdate, createCountingHandler, handlerCalls, inboxRowsOf, purgedRecords, vendaExists } from './support/inbox-retention.js';
import { movementsOf, seedProducts, stockDivergences, stockOf } from './support/stock.js';
import { until } from './support/until.js';

const HANDLERS = 'venda.finalizada=sync_handle_venda,venda.cancelada=sync_handle_venda_cancelada,contagem.teste=sync_handle_counted';
const OLD = 100;
const RETENTION = 90;

interface ItemResult {
  index: number;
  eventId: string;
  status: string;
  httpStatus: number;
  result?: string;
  error?: { code: string };
}

const counted = (overrides: Partial<TestEvent> = {}) => makeEvent({ type: 'contagem.teste', ...overrides });
const ids = (events: readonly TestEvent[]) => events.map((e) => e.eventId);

describeBackends('inbox retention', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    // The schedule is off here: each test purges when it means to (the schedule has its own test below).
    h = await startHarness(backend, { EVENT_HANDLERS: HANDLERS, INBOX_RETENTION_DAYS: '0' }, async (db) => {
      await seedProducts(db, [201, 202]);
      await createCountingHandler(db);
    });
  });
  afterAll(async () => h?.close());

  const post = async (events: readonly TestEvent[], token: string = PDVS.a.token): Promise<ItemResult[]> => {
    const response = await h.postJson('/v1/events', { events }, { token });
    expect(response.status).toBe(200);
    return (response.json as { results: ItemResult[] }).results;
  };
  /** The one-event route, as a client pushing one request per event sends it. */
  const pushOne = (event: TestEvent, token: string = PDVS.a.token) =>
    h.request(`/v1/events/${event.eventId}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': event.eventId,
        'x-event-type': event.type,
        'x-stream-key': event.streamKey,
        'x-occurred-at': event.occurredAt,
      },
      body: event.payload,
    });
  const purge = (batchSize = 1_000) => purgeInbox({ db: h.db, olderThanDays: RETENTION, batchSize, pauseMs: 0 });
  const purgedCount = async () => Number((await h.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM sync_inbox_purged')).rows[0]!.n);

  it('purges in batches the rows older than the retention, keeps the recent ones, and records each purged key', async () => {
    await purge();
    const oldA = [counted(), makeEvent(), counted()];
    const recentA = [counted(), makeEvent()];
    const oldB = [makeEvent()];
    const withinRetention = [makeEvent()];
    await post([...oldA, ...recentA, ...withinRetention]);
    await post(oldB, PDVS.b.token);
    await backdate(h.db, [...ids(oldA), ...ids(oldB)], OLD);
    await backdate(h.db, ids(withinRetention), RETENTION - 5);
    const before = await purgedCount();

    const result = await purge(2);
    // PDV a: a full batch of 2, then a short one of 1; PDV b: one short batch.
    expect(result).toMatchObject({ deleted: 4, recorded: 4, batches: 3, stopped: false });
    expect(await inboxRowsOf(h.db, [...ids(oldA), ...ids(oldB)])).toBe(0);
    expect(await inboxRowsOf(h.db, [...ids(recentA), ...ids(withinRetention)])).toBe(3);
    expect(await purgedCount()).toBe(before + 4);
    const expected = [
      ...oldA.map((e) => ({ pdvId: PDVS.a.pdvId, eventId: e.eventId, outcome: e.type === 'contagem.teste' ? PURGED_OUTCOME.appliedWithResult : PURGED_OUTCOME.appliedWithoutResult, payloadHash: payloadFingerprint(e.payload) })),
      ...oldB.map((e) => ({ pdvId: PDVS.b.pdvId, eventId: e.eventId, outcome: PURGED_OUTCOME.appliedWithoutResult, payloadHash: payloadFingerprint(e.payload) })),
    ].sort((x, y) => x.eventId.localeCompare(y.eventId));
    expect(await purgedRecords(h.db, [...ids(oldA), ...ids(oldB)])).toEqual(expected);

    expect(await purge()).toMatchObject({ deleted: 0, recorded: 0 });
  });

  it('answers a replay of a purged event as before the purge, on both routes, and applies nothing again', async () => {
    const event = counted();
    expect((await post([event]))[0]).toMatchObject({ status: 'applied', httpStatus: 201, result: '{"counted":true}' });
    const beforePurge = (await post([event]))[0]!;
    expect(beforePurge).toMatchObject({ status: 'duplicate', httpStatus: 200 });
    expect(await handlerCalls(h.db)).toBeGreaterThan(0);
    await backdate(h.db, [event.eventId], OLD);
    await purge();
    expect(await inboxRowsOf(h.db, [event.eventId])).toBe(0);
    const calls = await handlerCalls(h.db);
    const inbox = await h.inboxCount();

    const [afterPurge] = await post([event]);
    // The same answer class; the handler's result text is not kept past the retention.
    expect([afterPurge!.status, afterPurge!.httpStatus]).toEqual([beforePurge.status, beforePurge.httpStatus]);
    expect(afterPurge!.result).toBeUndefined();
    const single = await pushOne(event);
    expect(single.status).toBe(200);
    expect(single.json).toEqual({ eventId: event.eventId, status: 'duplicate' });

    // Beside new events in one batch, and repeated within it.
    const fresh = counted();
    expect((await post([event, fresh, event])).map((r) => [r.status, r.httpStatus])).toEqual([
      ['duplicate', 200],
      ['applied', 201],
      ['duplicate', 200],
    ]);
    expect(await handlerCalls(h.db)).toBe(calls + 1);
    expect(await h.inboxCount()).toBe(inbox + 1);
    expect(await inboxRowsOf(h.db, [event.eventId])).toBe(0);
  });

  it('still answers conflict (422) for a purged eventId sent with another payload', async () => {
    const event = makeEvent();
    await post([event]);
    await backdate(h.db, [event.eventId], OLD);
    await purge();
    const changed = { ...event, payload: '{"changed":true}' };
    expect((await post([changed]))[0]).toMatchObject({ status: 'conflict', httpStatus: 422, error: { code: 'payload_conflict' } });
    expect((await pushOne(changed)).status).toBe(422);
    expect(await inboxRowsOf(h.db, [event.eventId])).toBe(0);
  });

  it('never moves stock again for a replayed sale whose event was purged after it was cancelled', async () => {
    const vendaId = randomUUID();
    const item = { item_numero: 1, produto_id: 201, descricao: 'Produto 201', quantidade: '4.0000', preco_unitario: '1.0000', desconto: '0.0000', total: '4.0000' };
    const sale = vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId, itens: [item] });
    const cancel = makeEvent({ type: 'venda.cancelada', payload: JSON.stringify({ ...vendaPayload({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId }), status: 'CANCELADA' }) });
    expect((await post([sale]))[0]).toMatchObject({ status: 'applied' });
    expect((await post([cancel]))[0]).toMatchObject({ status: 'applied' });
    expect(await stockOf(h.db, 1, 201)).toBe('0.0000');
    await backdate(h.db, [sale.eventId, cancel.eventId], OLD);
    await purge();

    // Had the inbox forgotten the sale, its replay would record it again and take 4 units out once more.
    expect((await post([sale]))[0]).toMatchObject({ status: 'duplicate', httpStatus: 200 });
    expect((await pushOne(sale)).status).toBe(200);
    expect((await post([cancel]))[0]).toMatchObject({ status: 'duplicate' });
    expect(await stockOf(h.db, 1, 201)).toBe('0.0000');
    expect(await vendaExists(h.db, vendaId)).toBe(false);
    expect(await movementsOf(h.db, vendaId)).toEqual(['sale 201 -4.0000', 'sale-cancel 201 4.0000']);
    expect(await stockDivergences(h.db)).toEqual([]);
  });

  it('leaves the reconciliation of the days within the retention as it was', async () => {
    const session = randomUUID();
    const sale = (total: string) => vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, total, itens: [{ item_numero: 1, produto_id: 202, descricao: 'Produto 202', quantidade: '1.0000', preco_unitario: total, desconto: '0.0000', total }] });
    const withSession = (event: TestEvent) => ({ ...event, payload: JSON.stringify({ ...JSON.parse(event.payload), caixa_sessao_id: session }) });
    const recent = [withSession(sale('2.5000')), withSession(sale('7.5000'))];
    const old = withSession(sale('100.0000'));
    expect((await post([...recent, old])).map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    const figures = async () => {
      const query = 'from=2026-11-30&to=2026-11-30&type=venda.finalizada&dayField=iniciada_em&sessionField=caixa_sessao_id&totalField=total';
      const response = await h.request(`/v1/reconciliation?${query}`, { headers: { authorization: `Bearer ${PDVS.a.token}` } });
      expect(response.status).toBe(200);
      return (response.json as { figures: { session: string; events: number; total: string }[] }).figures.filter((f) => f.session === session);
    };
    await backdate(h.db, [old.eventId], OLD);
    const before = await figures();
    expect(before).toMatchObject([{ events: 2 }]);
    expect(Number(before[0]!.total)).toBe(10);
    await purge();
    expect(await inboxRowsOf(h.db, [old.eventId])).toBe(0);
    expect(await figures()).toEqual(before);
  });

  it('shares the work between two purges running at once: every row deleted once, every key recorded once', async () => {
    const events = Array.from({ length: 120 }, () => makeEvent());
    for (let i = 0; i < events.length; i += 40) await post(events.slice(i, i + 40), PDVS.b.token);
    await backdate(h.db, ids(events), OLD);
    const before = await purgedCount();
    const runs = await Promise.all([purgeInbox({ db: h.db, olderThanDays: RETENTION, batchSize: 10, pauseMs: 1 }), purgeInbox({ db: h.db, olderThanDays: RETENTION, batchSize: 10, pauseMs: 1 })]);
    expect(runs[0]!.deleted + runs[1]!.deleted).toBe(120);
    expect(runs[0]!.recorded + runs[1]!.recorded).toBe(120);
    expect(await purgedCount()).toBe(before + 120);
    expect(await inboxRowsOf(h.db, ids(events))).toBe(0);
  });

  it('purges while events arrive: new events are applied, replays of purged ones stay duplicates, no handler runs twice', async () => {
    const old = Array.from({ length: 150 }, () => counted({ streamKey: 'caixa:old' }));
    for (let i = 0; i < old.length; i += 50) await post(old.slice(i, i + 50), PDVS.b.token);
    await backdate(h.db, ids(old), OLD);
    const calls = await handlerCalls(h.db);

    // A 503 is the answer to a replay that raced its own purge: the client sends the same batch again.
    const postUntilAnswered = async (events: readonly TestEvent[]): Promise<ItemResult[]> => {
      for (;;) {
        const response = await h.postJson('/v1/events', { events }, { token: PDVS.b.token });
        if (response.status === 200) return (response.json as { results: ItemResult[] }).results;
        expect(response.status).toBe(503);
      }
    };
    const fresh: TestEvent[] = [];
    const purging = purgeInbox({ db: h.db, olderThanDays: RETENTION, batchSize: 25, pauseMs: 5 });
    const answers: ItemResult[][] = [];
    for (let round = 0; round < 6; round += 1) {
      const batch = [...Array.from({ length: 10 }, () => counted({ streamKey: `caixa:new${round}` })), ...old.slice(round * 25, round * 25 + 10)];
      fresh.push(...batch.slice(0, 10));
      answers.push(await postUntilAnswered(batch));
    }
    const purged = await purging;

    for (const results of answers) {
      expect(results.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill('applied'));
      expect(results.slice(10).map((r) => r.status)).toEqual(Array(10).fill('duplicate'));
    }
    expect(purged.deleted).toBe(150);
    expect(await inboxRowsOf(h.db, ids(old))).toBe(0);
    expect(await inboxRowsOf(h.db, ids(fresh))).toBe(60);
    expect(await handlerCalls(h.db)).toBe(calls + 60);
  });

  it('answers 503, never "applied", to a replay that waits on the row its purge is deleting; the retry is a duplicate', async () => {
    await purge();
    const event = counted();
    await post([event]);
    await backdate(h.db, [event.eventId], OLD);
    const calls = await handlerCalls(h.db);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let deletedNow!: () => void;
    const deleted = new Promise<void>((resolve) => (deletedNow = resolve));
    // The purge's own statement, its transaction held open until the replay waits on the row it deleted.
    const purging = h.db.transaction(async (tx) => {
      const outcome = await POSTGRES_INBOX_PURGE_STORE.purgeBatch(tx, { pdvId: PDVS.a.pdvId, olderThanDays: RETENTION, batchSize: 100 }, 2_000);
      deletedNow();
      await held;
      return outcome;
    });
    // Only once the row is deleted (uncommitted): a replay that came first would find it and be a duplicate at once.
    await Promise.race([deleted, purging]);
    const replay = h.postJson('/v1/events', { events: [event] });
    if (backend.name === 'postgres') {
      const waiting = async () => Number((await h.db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0]!.n) > 0;
      await until(waiting, 'the replay to wait on the purged row');
    } else {
      // PGlite runs one transaction at a time: the replay simply waits for the purge to commit.
      await sleep(100);
    }
    release();
    expect(await purging).toMatchObject({ deleted: 1, recorded: 1 });
    const answer = await replay;
    if (backend.name === 'postgres') {
      // The insert found the key free once the purge committed: caught by the check after it, nothing kept.
      expect(answer.status).toBe(503);
    } else {
      expect((answer.json as { results: ItemResult[] }).results[0]).toMatchObject({ status: 'duplicate' });
    }
    expect(await inboxRowsOf(h.db, [event.eventId])).toBe(0);
    expect((await post([event]))[0]).toMatchObject({ status: 'duplicate', httpStatus: 200 });
    expect(await handlerCalls(h.db)).toBe(calls);
    expect(await inboxRowsOf(h.db, [event.eventId])).toBe(0);
  });

  it('runs on its schedule inside the API process, and stops (twice) without complaint', async () => {
    const events = [makeEvent(), makeEvent()];
    await post(events);
    await backdate(h.db, ids(events), OLD);
    const logged: string[] = [];
    const logger = { info: (_: object, msg: string) => logged.push(msg), debug: () => {}, warn: (_: object, msg: string) => logged.push(`warn: ${msg}`) };
    const schedule = startInboxRetentionSchedule({
      db: h.db,
      retentionDays: RETENTION,
      logger: logger as never,
      isStopping: () => false,
      firstRunDelayMs: 0,
      intervalMs: 60_000,
      purge: { pauseMs: 0 },
    });
    await until(async () => (await inboxRowsOf(h.db, ids(events))) === 0, 'the scheduled purge');
    await until(() => logged.length > 0, 'the purge to log its result');
    schedule.stop();
    schedule.stop();
    await schedule.idle();
    expect(logged).toEqual(['inbox retention purged old events; their keys stay in sync_inbox_purged']);
    expect(await purgedRecords(h.db, ids(events))).toHaveLength(2);
  });
}, ['pglite', 'postgres']);

describe('inbox retention schedule', () => {
  it('starts nothing when INBOX_RETENTION_DAYS is 0', async () => {
    const schedule = startInboxRetentionSchedule({ db: {} as never, retentionDays: 0, logger: {} as never, isStopping: () => false, firstRunDelayMs: 0 });
    schedule.stop();
    await schedule.idle();
  });
});
