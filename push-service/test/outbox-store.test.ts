import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applySchema } from '../../packages/core/src/db/schema-runner.js';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { createOutboxStore, type OutboxStore } from '../src/outbox/outbox-store.js';
import { toIso, type OutboxRow } from '../src/outbox/outbox-row.js';
import { claimBatch as claimBatchSql } from '../src/outbox/outbox-sql.postgres.js';
import type { Queryable } from '../../packages/core/src/db/types.js';
import { countRows, insertOutboxEvents, makeEvents, rewindOutbox } from './support/outbox-fixtures.js';

describeBackends('outbox store', (backend) => {
  let t: TestDatabase;
  let store: OutboxStore;
  beforeEach(async () => {
    t = await backend.create();
    await applySchema(t.db, { role: 'pdv' });
    store = createOutboxStore(t.db);
  });
  afterEach(async () => {
    await t.dispose();
  });

  const claim = (owner: string, limit: number) => store.claimBatch({ owner, limit, leaseMs: 60_000 });
  const sent = (rows: OutboxRow[]) => store.recordOutcomes(rows.map((row) => ({ kind: 'sent' as const, row, httpStatus: 200 })));

  it('claims a prefix of each stream, in order, and never the same rows twice while leased', async () => {
    const events = makeEvents(30, 3);
    await insertOutboxEvents(t.db, events);
    const first = await claim('a', 12);
    expect(first).toHaveLength(12);
    // Each stream's rows are its oldest ones, in outbox order.
    for (const stream of new Set(first.map((r) => r.streamKey))) {
      const mine = first.filter((r) => r.streamKey === stream).map((r) => r.eventId);
      const expected = events.filter((e) => e.streamKey === stream).slice(0, mine.length).map((e) => e.eventId);
      expect(mine).toEqual(expected);
    }
    // The streams held by "a" are closed to "b" even though they have more rows.
    const second = await claim('b', 100);
    expect(second.filter((r) => first.some((f) => f.streamKey === r.streamKey))).toEqual([]);
  });

  it('returns each row with its creation time in UTC ISO 8601, to the millisecond', async () => {
    await insertOutboxEvents(t.db, makeEvents(3, 1));
    const claimed = await claim('a', 10);
    const { rows } = await t.db.query<{ created_at: unknown }>('SELECT created_at FROM sync_outbox ORDER BY outbox_id');
    // PostgreSQL answers timestamptz as text here ("... 13:20:01.123456+00"); SQL Server's driver gives a Date.
    const asIso = (value: unknown) => (value instanceof Date ? value : new Date(String(value).replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'))).toISOString();
    const stored = rows.map((row) => asIso(row.created_at));
    expect(claimed.map((row) => toIso(row.createdAt))).toEqual(stored);
  });

  it('with several lanes a claim takes only its share of the streams, so that every lane finds work', async () => {
    await insertOutboxEvents(t.db, makeEvents(500, 10));
    const lane = (owner: string) => store.claimBatch({ owner, limit: 100, leaseMs: 60_000, lanes: 3 });
    const streamsOf = (rows: OutboxRow[]) => new Set(rows.map((r) => r.streamKey));
    const [a, b, c] = [await lane('a'), await lane('b'), await lane('c')];
    // ceil(10 streams / 3 lanes) = 4, then 4 of the 6 left, then the last 2; the batch fills from those streams.
    expect([streamsOf(a).size, streamsOf(b).size, streamsOf(c).size]).toEqual([4, 4, 2]);
    expect([a.length, b.length, c.length]).toEqual([100, 100, 100]);
    expect(new Set([...streamsOf(a), ...streamsOf(b), ...streamsOf(c)]).size).toBe(10);
    // Leased streams still count as streams with pending rows: a fourth lane is not given a bigger share.
    expect(await lane('d')).toEqual([]);
  });

  // The claim's shape, told apart: each claimed stream gets an equal share of the batch. A claim that took up to the
  // limit from every stream and then the oldest rows overall would give all 10 to the stream with the backlog.
  it('gives each claimed stream an equal share of the batch, whatever the backlog of the other', async () => {
    const backlog = makeEvents(40, 1).map((e) => ({ ...e, streamKey: 'caixa:backlog' }));
    const recent = makeEvents(5, 1).map((e) => ({ ...e, streamKey: 'caixa:recent' }));
    await insertOutboxEvents(t.db, [...backlog, ...recent]);
    const rows = await store.claimBatch({ owner: 'a', limit: 10, leaseMs: 60_000, lanes: 1 });
    const idsOf = (stream: string) => rows.filter((r) => r.streamKey === stream).map((r) => r.eventId);
    expect(idsOf('caixa:backlog')).toEqual(backlog.slice(0, 5).map((e) => e.eventId));
    expect(idsOf('caixa:recent')).toEqual(recent.map((e) => e.eventId));
    // Both streams are held now: nothing is left for another lane.
    expect(await claim('b', 10)).toEqual([]);
  });

  // PGlite runs one transaction at a time, so nothing can hold a row while the claim runs there.
  describe.skipIf(backend.name === 'pglite')('rows other transactions hold', () => {
    /** Runs `work` in a transaction that stays open until the returned release() is called. */
    async function holdOpen(work: (tx: Queryable) => Promise<unknown>): Promise<{ release: () => Promise<void> }> {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const ready = new Promise<void>((resolve) => (started = resolve));
      const done = t.db.transaction(async (tx) => {
        await work(tx);
        started();
        await released;
      });
      await Promise.race([ready, done]);
      return {
        release: async () => {
          release();
          await done;
        },
      };
    }

    /** The claim must answer without waiting for the transaction that holds a row. */
    async function claimWithoutWaiting(owner: string, limit: number): Promise<OutboxRow[]> {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the claim waited for a lock another transaction holds')), 5_000)));
      try {
        return await Promise.race([store.claimBatch({ owner, limit, leaseMs: 60_000, lanes: 1 }), waited]);
      } finally {
        clearTimeout(timer);
      }
    }

    it('a stream whose head another transaction holds is skipped whole, not led by its second row, and the claim does not wait', async () => {
      const held = makeEvents(6, 1).map((e) => ({ ...e, streamKey: 'caixa:held' }));
      const free = makeEvents(4, 1).map((e) => ({ ...e, streamKey: 'caixa:free' }));
      await insertOutboxEvents(t.db, [...held, ...free]);
      const param = t.db.dialect === 'mssql' ? '@p1' : '$1';
      // What a sale's trigger does when it refreshes the payload of an event never sent: it locks the row.
      const sale = await holdOpen((tx) => tx.query(`UPDATE sync_outbox SET payload = payload WHERE event_id = ${param}`, [held[0]!.eventId]));
      let rows: OutboxRow[];
      try {
        rows = await claimWithoutWaiting('a', 10);
      } finally {
        await sale.release();
      }
      expect(rows.map((r) => r.eventId)).toEqual(free.map((e) => e.eventId));
      // Once the sale commits, the stream goes on from its head.
      expect((await claim('b', 10)).map((r) => r.eventId)).toEqual(held.map((e) => e.eventId));
    });

    it('a running sale\'s uncommitted event does not make the claim wait, and the claim stops before it', async () => {
      const [first, second, later] = makeEvents(3, 1);
      const other = makeEvents(2, 1).map((e) => ({ ...e, streamKey: 'caixa:other' }));
      await insertOutboxEvents(t.db, [first!, second!, ...other]);
      const insert = t.db.dialect === 'mssql'
        ? 'INSERT INTO sync_outbox (event_id, event_type, stream_key, payload) VALUES (@p1, @p2, @p3, @p4)'
        : 'INSERT INTO sync_outbox (event_id, event_type, stream_key, payload) VALUES ($1, $2, $3, $4)';
      const sale = await holdOpen((tx) => tx.query(insert, [later!.eventId, later!.eventType, later!.streamKey, later!.payload]));
      let rows: OutboxRow[];
      try {
        rows = await claimWithoutWaiting('a', 10);
      } finally {
        await sale.release();
      }
      expect(rows.map((r) => r.eventId).sort()).toEqual([first!.eventId, second!.eventId, ...other.map((e) => e.eventId)].sort());
      await sent(rows);
      expect((await claim('b', 10)).map((r) => r.eventId)).toEqual([later!.eventId]);
    });
  });

  it('two claimers at once never share a stream, and together take every row exactly once', async () => {
    await insertOutboxEvents(t.db, makeEvents(200, 20));
    const seen = new Map<string, string>();
    for (let round = 0; round < 50; round++) {
      const [a, b] = await Promise.all([claim('a', 17), claim('b', 17)]);
      if (a.length + b.length === 0) break;
      const streamsA = new Set(a.map((r) => r.streamKey));
      expect(b.some((r) => streamsA.has(r.streamKey))).toBe(false);
      for (const row of [...a, ...b]) {
        expect(seen.has(row.eventId)).toBe(false);
        seen.set(row.eventId, row.streamKey);
      }
      await sent([...a, ...b]);
    }
    expect(seen.size).toBe(200);
    expect(await countRows(t.db, 'sync_outbox', 'sent_at IS NULL')).toBe(0);
  });

  it('reclaims rows whose lease expired in shrinking batches, and counts the unfinished claims', async () => {
    const events = makeEvents(40, 1);
    await insertOutboxEvents(t.db, events);
    const expire = () => t.db.query('UPDATE sync_outbox SET lease_until = NULL WHERE sent_at IS NULL');
    const first = await claim('dead-worker', 32);
    expect(first).toHaveLength(32);
    expect(await claim('other', 32)).toHaveLength(0);
    await expire();
    // The head was held by a worker that never finished: a quarter of the batch, then a sixteenth, then alone.
    const sizes: number[] = [];
    for (let round = 0; round < 4; round++) {
      const again = await claim(`dead-worker/${round}`, 32);
      sizes.push(again.length);
      expect(again[0]!.eventId).toBe(events[0]!.eventId);
      expect(again[0]!.claimCount).toBe(round + 2);
      await expire();
    }
    expect(sizes).toEqual([8, 2, 1, 1]);
  });

  it('counts a claim that never finished on every row it held, not only on the head', async () => {
    const events = makeEvents(20, 1);
    await insertOutboxEvents(t.db, events);
    const ids = (rows: OutboxRow[]) => rows.map((r) => events.findIndex((e) => e.eventId === r.eventId));
    expect(await claim('dead-worker', 8)).toHaveLength(8);
    await t.db.query('UPDATE sync_outbox SET lease_until = NULL WHERE sent_at IS NULL');
    // Rows 0-7 were held by a claim without a result: each has one unfinished claim, plus this one.
    const second = await claim('b', 8);
    expect(ids(second)).toEqual([0, 1]);
    expect(second.map((r) => r.claimCount)).toEqual([2, 2]);
    await sent(second);
    // Rows 2-7 still carry the first claim: each becomes the head with that count, so the prefix stays small.
    for (const pair of [[2, 3], [4, 5], [6, 7]]) {
      const next = await claim('c', 8);
      expect(ids(next)).toEqual(pair);
      expect(next.map((r) => r.claimCount)).toEqual([2, 2]);
      await sent(next);
    }
    // Row 8 was never held: a full share again.
    const sixth = await claim('c', 8);
    expect(ids(sixth)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(sixth.every((r) => r.claimCount === 1)).toBe(true);
  });

  it('a lease still running is never taken over', async () => {
    await insertOutboxEvents(t.db, makeEvents(3, 1));
    expect(await claim('a', 10)).toHaveLength(3);
    expect(await claim('b', 10)).toHaveLength(0);
    // A minute and a second later on the database clock, the one-minute lease is over.
    await rewindOutbox(t.db, 'lease_until', 61_000);
    // Expired: taken over, as a quarter of the batch (10 / 4 = 2 rows), each now claimed twice.
    expect((await claim('b', 10)).map((r) => r.claimCount)).toEqual([2, 2]);
  });

  it('keeps a retry schedule on the row and does not claim it before it is due', async () => {
    await insertOutboxEvents(t.db, makeEvents(2, 1));
    const [head, next] = await claim('a', 10);
    await store.recordOutcomes([
      { kind: 'retry', row: head!, delayMs: 60_000, error: '503 Service Unavailable', httpStatus: 503 },
      { kind: 'retry', row: next!, delayMs: 60_000, error: 'waiting', httpStatus: 503 },
    ]);
    expect(await claim('a', 10)).toHaveLength(0);
    const { rows } = await t.db.query<{ attempts: number; last_error: string; last_status: number; claim_count: number }>(
      `SELECT attempts, last_error, last_status, claim_count FROM sync_outbox WHERE outbox_id = ${head!.outboxId}`,
    );
    expect(rows[0]).toMatchObject({ attempts: 1, last_error: '503 Service Unavailable', last_status: 503, claim_count: 0 });
    // A minute and a second later on the database clock, both are due.
    await rewindOutbox(t.db, 'next_attempt_at', 61_000);
    const due = await claim('a', 10);
    expect(due.map((r) => r.eventId)).toEqual([head!.eventId, next!.eventId]);
    expect(due[0]!.attempts).toBe(1);
  });

  it('moves a row to dead letters with its reason, lets its stream go on, and requeues it on redrive', async () => {
    const events = makeEvents(3, 1);
    await insertOutboxEvents(t.db, events);
    const [bad, ...rest] = await claim('a', 10);
    await store.recordOutcomes([
      { kind: 'dead', row: bad!, reason: '422 payload differs', httpStatus: 422 },
      ...rest.map((row) => ({ kind: 'sent' as const, row, httpStatus: 200 })),
    ]);
    const letters = await store.listDeadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ eventId: events[0]!.eventId, reason: '422 payload differs', lastStatus: 422, payload: events[0]!.payload });
    expect((await store.findDeadLetter(events[0]!.eventId))?.reason).toBe('422 payload differs');
    expect(await store.readBacklog()).toMatchObject({ pending: 0, deadLetters: 1 });

    expect(await store.requeueDeadLetters(events[0]!.eventId)).toEqual([events[0]!.eventId]);
    expect(await countRows(t.db, 'sync_dead_letter')).toBe(0);
    const requeued = await claim('a', 10);
    expect(requeued.map((r) => r.eventId)).toEqual([events[0]!.eventId]);
    expect(requeued[0]!.payload).toBe(events[0]!.payload);
  });

  it('requeues every dead letter at once', async () => {
    await insertOutboxEvents(t.db, makeEvents(4, 2));
    const rows = await claim('a', 10);
    await store.recordOutcomes(rows.map((row) => ({ kind: 'dead' as const, row, reason: 'x', httpStatus: 400 })));
    expect(await store.requeueDeadLetters(null)).toHaveLength(4);
    expect(await store.readBacklog()).toMatchObject({ pending: 4, deadLetters: 0 });
  });

  it('releases its leases on a clean stop without counting the claim', async () => {
    await insertOutboxEvents(t.db, makeEvents(5, 1));
    const held = await claim('a', 10);
    expect(await store.releaseLeases('a')).toBe(5);
    const again = await claim('b', 10);
    expect(again.map((r) => r.eventId)).toEqual(held.map((r) => r.eventId));
    expect(again.every((r) => r.claimCount === 1)).toBe(true);
  });

  it('releases every claim of its worker on stop, and only those', async () => {
    await insertOutboxEvents(t.db, makeEvents(9, 3));
    const lane = (owner: string) => store.claimBatch({ owner, limit: 3, leaseMs: 60_000, lanes: 3 });
    const [first, second, other] = [await lane('w/1'), await lane('w/2'), await lane('wx/1')];
    expect([first.length, second.length, other.length]).toEqual([3, 3, 3]);
    expect(await store.releaseLeases('w')).toBe(6);
    expect(await countRows(t.db, 'sync_outbox', "lease_owner = 'wx/1'")).toBe(3);
    expect(await countRows(t.db, 'sync_outbox', 'lease_owner IS NULL')).toBe(6);
  });

  it('a late retry or dead letter from a lapsed claim leaves alone the rows another claim has taken since', async () => {
    const events = makeEvents(8, 1);
    await insertOutboxEvents(t.db, events);
    const lapsed = await claim('w/1', 8);
    expect(lapsed).toHaveLength(8);
    const expire = t.db.dialect === 'mssql' ? "DATEADD(second, -1, SYSUTCDATETIME())" : "now() - interval '1 second'";
    await t.db.query(`UPDATE sync_outbox SET lease_until = ${expire} WHERE lease_owner = 'w/1'`);
    // The lease ran out: a second claim takes the head of the stream over, alone (a quarter of 4 is 1).
    const takenOver = await claim('w/2', 4);
    expect(takenOver.map((r) => r.eventId)).toEqual([events[0]!.eventId]);

    // The first worker's answers arrive late: the head failed, rows 1-2 were refused, rows 3-7 must wait.
    const lateHead = { kind: 'retry' as const, row: lapsed[0]!, delayMs: 0, error: '503', httpStatus: 503 };
    const dropped = await store.recordOutcomes([
      lateHead,
      { kind: 'dead', row: lapsed[1]!, reason: '422 refused', httpStatus: 422 },
      { kind: 'dead', row: lapsed[2]!, reason: '422 refused', httpStatus: 422 },
      ...lapsed.slice(3).map((row) => ({ kind: 'retry' as const, row, delayMs: 0, error: 'waiting', httpStatus: 503 })),
    ]);
    expect(dropped).toEqual([lateHead]);
    // The head is still held by the second claim, untouched; the rest followed the late answers.
    const { rows } = await t.db.query<{ lease_owner: string | null; attempts: number; claim_count: number }>(
      `SELECT lease_owner, attempts, claim_count FROM sync_outbox WHERE outbox_id = ${takenOver[0]!.outboxId}`,
    );
    expect(rows[0]).toMatchObject({ lease_owner: 'w/2', attempts: 0, claim_count: 2 });
    expect((await store.listDeadLetters()).map((d) => d.eventId)).toEqual([events[1]!.eventId, events[2]!.eventId]);
    expect(await countRows(t.db, 'sync_outbox', 'lease_owner IS NULL AND attempts = 1')).toBe(5);
    // Nobody else can take the stream while its head is held.
    expect(await claim('w/3', 8)).toHaveLength(0);

    // A success is recorded whoever holds the row: the central API has the event either way.
    await store.recordOutcomes([{ kind: 'sent', row: lapsed[0]!, httpStatus: 201 }]);
    expect(await countRows(t.db, 'sync_outbox', 'sent_at IS NOT NULL')).toBe(1);
    // And the second claim's own late retry of it changes nothing.
    expect(await store.recordOutcomes([{ kind: 'retry', row: takenOver[0]!, delayMs: 0, error: '503', httpStatus: 503 }])).toHaveLength(1);
    expect(await countRows(t.db, 'sync_outbox', 'sent_at IS NOT NULL')).toBe(1);
  });

  it('a claim tried again after its commit went unacknowledged takes back the rows of its first attempt', async () => {
    await insertOutboxEvents(t.db, makeEvents(6, 2));
    const first = await claim('w/1', 10);
    expect(first).toHaveLength(6);
    // The same claim again (same owner): without this the rows would sit leased to nobody until the lease ends.
    const again = await claim('w/1', 10);
    expect(again.map((r) => r.eventId)).toEqual(first.map((r) => r.eventId));
    // Not counted as a claim that died: one claim, once.
    expect(again.every((r) => r.claimCount === 1)).toBe(true);
    expect(await claim('w/2', 10)).toHaveLength(0);
  });

  it('purges sent rows past the audit window in bounded batches, and nothing else', async () => {
    await insertOutboxEvents(t.db, makeEvents(7, 1));
    await sent((await claim('a', 5)));
    const age = t.db.dialect === 'mssql' ? "DATEADD(hour, -48, SYSUTCDATETIME())" : "now() - interval '48 hours'";
    await t.db.query(`UPDATE sync_outbox SET sent_at = ${age} WHERE sent_at IS NOT NULL`);
    expect(await store.purgeSentRows(24, 3)).toBe(3);
    expect(await store.purgeSentRows(24, 3)).toBe(2);
    expect(await store.purgeSentRows(24, 3)).toBe(0);
    expect(await countRows(t.db, 'sync_outbox')).toBe(2);
  });

  // The PostgreSQL producer rewrites the payload of an event never tried (sync_outbox_refresh): never one that a
  // claim holds or held, since those bytes may already be at the central API. (The SQL Server producer does the
  // same inside its triggers.)
  describe.skipIf(backend.name === 'mssql')('payload refresh and claims', () => {
    const events = makeEvents(3, 1);
    const payloadOf = async (i: number) => (await t.db.query<{ payload: string }>('SELECT payload FROM sync_outbox WHERE event_id = $1', [events[i]!.eventId])).rows[0]!.payload;
    const refresh = (i: number, payload: string, db: Queryable = t.db) => db.query('SELECT sync_outbox_refresh($1::uuid, $2)', [events[i]!.eventId, payload]);

    it('never rewrites an event a claim holds, whether the claim is live, died, or was taken over', async () => {
      await insertOutboxEvents(t.db, events);
      await refresh(2, '{"v":1}');
      expect(await payloadOf(2)).toBe('{"v":1}');
      expect(await store.claimBatch({ owner: 'w', limit: 10, leaseMs: 60_000 })).toHaveLength(3);
      await refresh(2, '{"v":2}');
      expect(await payloadOf(2)).toBe('{"v":1}');
      // The worker died: its lease ran out.
      await t.db.query("UPDATE sync_outbox SET lease_until = now() - interval '1 second' WHERE lease_owner = 'w'");
      await refresh(2, '{"v":3}');
      expect(await payloadOf(2)).toBe('{"v":1}');
      // The next claim takes the head alone; once the head is sent, row 2 may still have gone up with the dead
      // claim, so it stays as it was.
      const head = await store.claimBatch({ owner: 'w2', limit: 4, leaseMs: 60_000 });
      expect(head.map((r) => r.eventId)).toEqual([events[0]!.eventId]);
      await store.recordOutcomes([{ kind: 'sent', row: head[0]!, httpStatus: 201 }]);
      await refresh(2, '{"v":4}');
      expect(await payloadOf(2)).toBe('{"v":1}');
    });

    // PGlite serves one connection at a time, so a second transaction cannot run beside the claim there.
    it.skipIf(backend.name === 'pglite')('a refresh during a claim of its stream waits for the claim, then leaves the event alone', async () => {
      await insertOutboxEvents(t.db, events);
      let refreshed: Promise<unknown> | undefined;
      let settledEarly = false;
      await t.db.transaction(async (tx) => {
        await tx.query(claimBatchSql, ['w', 60_000, 10, 1]);
        refreshed = refresh(2, '{"v":9}').finally(() => (settledEarly = true));
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(settledEarly).toBe(false);
      });
      await refreshed;
      expect(await payloadOf(2)).toBe(events[2]!.payload);
    });
  });
});
