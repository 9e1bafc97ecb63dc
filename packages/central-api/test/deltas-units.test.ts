import { afterEach, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '@goldpdv/core';
import { changeOf, rowOf, sourceKeyOf } from '../src/deltas/db/page-rows.js';
import type { ServedTable } from '../src/deltas/served-table.js';
import type { ClockReading } from '../src/deltas/db/clock-reading.js';
import { ByteBoundedLru } from '../src/deltas/live/byte-bounded-lru.js';
import { LongPollHub } from '../src/deltas/live/long-poll-hub.js';
import { ServingClock } from '../src/deltas/live/serving-clock.js';
import { decodeChangesCursor, decodeSnapshotCursor, encodeCursor } from '../src/deltas/cursor.js';
import { InvalidPullRequestError } from '../src/deltas/invalid-pull-request-error.js';
import { resolveDeltasConfig } from '../src/deltas/deltas-config.js';
import { isServedName } from '../src/deltas/served-names.js';
import { orderByDependencies } from '../src/deltas/table-order.js';
import { until } from './support/until.js';

const silent = { warn() {}, error() {}, info() {}, debug() {} } as never;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cursors', () => {
  const key = '{"loja_id":1,"produto_id":2}';

  it('round-trip, and normalise their versions', () => {
    const cursor = { to: '120', v: '0110', k: key };
    expect(decodeChangesCursor(encodeCursor(cursor), ['loja_id', 'produto_id'])).toEqual({ to: '120', v: '110', k: key });
    expect(decodeSnapshotCursor(encodeCursor({ s: '7', k: key, i: 'AbC_-9' }), ['produto_id', 'loja_id'])).toEqual({ s: '7', k: key, i: 'AbC_-9' });
    // A snapshot cursor of an earlier release has no incarnation: it decodes, and the read sends it back to the start.
    const earlier = Buffer.from(JSON.stringify({ s: '7', k: key })).toString('base64url');
    expect(decodeSnapshotCursor(earlier, ['produto_id', 'loja_id'])).toEqual({ s: '7', k: key, i: null });
    expect(() => decodeSnapshotCursor(Buffer.from(JSON.stringify({ s: '7', k: key, i: 'not an incarnation' })).toString('base64url'), ['produto_id', 'loja_id'])).toThrow(/bad incarnation/);
  });

  it.each([
    ['not base64url', '***'],
    ['not JSON', Buffer.from('{oops').toString('base64url')],
    ['an array', Buffer.from('[1,2]').toString('base64url')],
    ['a missing field', encodeCursor({ to: '1', v: '1' } as never)],
    ['a version as a number', Buffer.from(JSON.stringify({ to: 1, v: '1', k: key })).toString('base64url')],
    ['a version beyond bigint', encodeCursor({ to: '9223372036854775808', v: '1', k: key })],
    ['a key that is not JSON', encodeCursor({ to: '1', v: '1', k: 'loja 1' })],
    ['a key with another column', encodeCursor({ to: '1', v: '1', k: '{"loja_id":1,"x":2}' })],
    ['a key with a null value', encodeCursor({ to: '1', v: '1', k: '{"loja_id":1,"produto_id":null}' })],
    ['an oversized cursor', 'a'.repeat(5_000)],
  ])('refuse %s, naming the cursor parameter', (_case, text) => {
    let caught: unknown;
    try {
      decodeChangesCursor(text, ['loja_id', 'produto_id']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidPullRequestError);
    expect((caught as InvalidPullRequestError).field).toBe('cursor');
  });
});

describe('contract table names', () => {
  it('are plain lowercase names only, and quote through core as before', () => {
    expect(isServedName('preco_loja')).toBe(true);
    expect(quoteIdentifier('postgres', 'preco_loja')).toBe('"preco_loja"');
    expect(quoteIdentifier('mssql', 'preco_loja')).toBe('[preco_loja]');
    for (const bad of ['Produto', 'a"b', 'x]y', '1abc', 'a b', '', 'x'.repeat(129)]) expect(isServedName(bad)).toBe(false);
  });
});

describe('the deltas settings', () => {
  it('reads what the API config lacks from the environment, with the usual one-line error', () => {
    expect(resolveDeltasConfig({ HTTP_PORT: 1 }, {})).toMatchObject({ CHANGES_MAX_WAIT_MS: 25_000, CHANGES_POLL_INTERVAL_MS: 150, CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 3_600_000 });
    // Unset SERVED_TABLES_FILE: the sample schema's declaration.
    expect(resolveDeltasConfig({ CHANGES_MAX_WAIT_MS: 5 }, { CHANGES_MAX_WAIT_MS: '9' })).toMatchObject({ CHANGES_MAX_WAIT_MS: 5, SERVED_TABLES_FILE: { file: expect.stringMatching(/served-tables\.sample\.json$/) } });
    expect(() => resolveDeltasConfig({}, { SERVED_TABLES_FILE: '/nonexistent/served.json' })).toThrow(/^SERVED_TABLES_FILE: expected a readable JSON file; cannot read \/nonexistent\/served\.json \(ENOENT\)/);
    expect(() => resolveDeltasConfig({}, { CHANGES_POLL_INTERVAL_MS: '5' })).toThrow(/^CHANGES_POLL_INTERVAL_MS: expected an integer >= 20/);
  });
});

describe('dependency order', () => {
  it('puts parents first and breaks ties by the documented order, then by name', () => {
    const fks = [{ child: 'produto', parent: 'categoria' }, { child: 'preco_loja', parent: 'produto' }, { child: 'preco_loja', parent: 'loja' }, { child: 'zeta', parent: 'preco_loja' }];
    const tables = ['zeta', 'preco_loja', 'produto', 'operador', 'loja', 'forma_pagamento', 'cliente', 'categoria', 'alfa'];
    expect(orderByDependencies(tables, fks)).toEqual({
      ordered: ['categoria', 'loja', 'forma_pagamento', 'operador', 'cliente', 'produto', 'preco_loja', 'alfa', 'zeta'],
      cyclic: [],
    });
  });

  it('puts tables on a cycle last instead of looping', () => {
    const result = orderByDependencies(['a', 'b', 'c'], [{ child: 'a', parent: 'b' }, { child: 'b', parent: 'a' }, { child: 'c', parent: 'c' }]);
    expect(result).toEqual({ ordered: ['c', 'a', 'b'], cyclic: ['a', 'b'] });
  });
});

describe('serving clock and long-poll hub', () => {
  const reading = (upper: bigint, quietFrom: Record<string, bigint>, incarnation = 'one', bound = upper): ClockReading => ({ upper, bound, incarnation, quietFrom: new Map(Object.entries(quietFrom)) });
  const clocks: ServingClock[] = [];
  afterEach(() => clocks.splice(0).forEach((clock) => clock.stop()));
  const rig = (initial: ClockReading, stopping = { value: false }) => {
    const state = { next: initial, reads: 0, fail: false };
    const clock = new ServingClock({
      read: async () => {
        state.reads += 1;
        if (state.fail) throw new Error('database unreachable');
        return state.next;
      },
      tables: async () => ['produto', 'loja'],
      intervalMs: 40,
      logger: silent,
      isStopping: () => stopping.value,
    });
    clocks.push(clock);
    return { state, clock, hub: new LongPollHub(clock, () => stopping.value) };
  };

  it('keeps one epoch while nothing changes, and ticks once per interval for all waiters together', async () => {
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }));
    const first = await clock.current();
    expect(first?.upper).toBe(10n);
    state.next = reading(10n, { produto: 5n, loja: 3n }, 'one', 12n);
    const waits = Array.from({ length: 20 }, (_, i) => hub.waitForAny([{ trackingName: i % 2 ? 'produto' : 'loja', level: 10n }], 400));
    await sleep(150);
    // The bound moved but no table did: the epoch, and with it every read's upper version, stays.
    expect(clock.epoch?.upper).toBe(10n);
    state.next = reading(14n, { produto: 13n, loja: 3n });
    const outcomes = await Promise.all(waits);
    expect(outcomes.filter((o) => o.kind === 'changed').map((o) => o.watches[0]!.level)).toEqual(Array(10).fill(10n));
    // The quiet table's waiters moved up to the new epoch's upper version, where they would read from.
    expect(outcomes.filter((o) => o.kind === 'timeout').map((o) => o.watches[0]!.level)).toEqual(Array(10).fill(14n));
    expect(state.reads).toBeGreaterThanOrEqual(3);
    expect(state.reads).toBeLessThanOrEqual(14);
    const after = state.reads;
    await sleep(200);
    expect(hub.waiting).toBe(0);
    // Nobody waits and nobody read lately... within 5 s it may still tick; it must not tick without bound.
    expect(state.reads - after).toBeLessThanOrEqual(6);
  });

  it('waits on several tables with one request, released by the one that changed, the others moved up', async () => {
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }));
    await clock.current();
    const wait = hub.waitForAny([{ trackingName: 'produto', level: 10n }, { trackingName: 'loja', level: 10n }], 5_000);
    state.next = reading(20n, { produto: 5n, loja: 15n });
    expect(await wait).toEqual({ kind: 'changed', changed: ['loja'], watches: [{ trackingName: 'produto', level: 20n }, { trackingName: 'loja', level: 10n }] });
    expect(hub.waiting).toBe(0);
  });

  it('releases the waiters of a change a batch per turn of the event loop, and the waiters of other tables not at all', async () => {
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }));
    await clock.current();
    const settledInTurn: number[] = [];
    let turn = 0;
    const waits = Array.from({ length: 300 }, () =>
      hub.waitForAny([{ trackingName: 'produto', level: 10n }], 5_000).then((outcome) => {
        settledInTurn.push(turn);
        return outcome;
      }),
    );
    const others = Array.from({ length: 50 }, () => hub.waitForAny([{ trackingName: 'loja', level: 10n }], 300));
    // Turns of the event loop, counted while the releases run (one immediate per turn).
    let counting = true;
    const count = (): void => {
      turn += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    state.next = reading(20n, { produto: 15n, loja: 3n });
    const outcomes = await Promise.all(waits);
    counting = false;
    expect(outcomes.every((outcome) => outcome.kind === 'changed')).toBe(true);
    // 300 waiters, not all in one turn: the first batch's answers can go out before the last batch is prepared.
    expect(new Set(settledInTurn).size).toBeGreaterThan(1);
    // The loja waiters were not released by the produto change; they end by their time, moved up to the new epoch.
    const quiet = await Promise.all(others);
    expect(quiet.map((outcome) => outcome.kind)).toEqual(Array(50).fill('timeout'));
    expect(quiet.map((outcome) => outcome.watches[0]!.level)).toEqual(Array(50).fill(20n));
    expect(hub.waiting).toBe(0);
  });

  it("answers a change, not its time, to a waiter whose time runs out while its release waits for its batch", async () => {
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }));
    await clock.current();
    const started = Date.now();
    let stalled = false;
    const waits = Array.from({ length: 300 }, () =>
      hub.waitForAny([{ trackingName: 'produto', level: 10n }], 600).then((outcome) => {
        // The first answer holds the event loop past every waiter's time, as a busy replica might: the later
        // batches' releases are still queued when their timers fire.
        if (!stalled) {
          stalled = true;
          while (Date.now() - started < 800) {
            // busy
          }
        }
        return outcome;
      }),
    );
    state.next = reading(20n, { produto: 15n, loja: 3n });
    const outcomes = await Promise.all(waits);
    expect(stalled).toBe(true);
    expect(outcomes.filter((outcome) => outcome.kind !== 'changed')).toEqual([]);
    expect(hub.waiting).toBe(0);
  });

  it('releases a waiter at once when the epoch moved while it was reading', async () => {
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }));
    await clock.current();
    state.next = reading(20n, { produto: 15n, loja: 3n });
    await sleep(60);
    await clock.current();
    expect(await hub.waitForAny([{ trackingName: 'produto', level: 10n }], 5_000)).toEqual({ kind: 'changed', watches: [{ trackingName: 'produto', level: 10n }], changed: ['produto'] });
  });

  it('releases every waiter on another incarnation, and on abort and stop, leaving none behind', async () => {
    const stopping = { value: false };
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }), stopping);
    await clock.current();
    const restored = hub.waitForAny([{ trackingName: 'loja', level: 10n }], 5_000);
    state.next = reading(10n, { produto: 5n, loja: 3n }, 'two');
    expect((await restored).kind).toBe('changed');
    const controller = new AbortController();
    const aborted = hub.waitForAny([{ trackingName: 'produto', level: 10n }], 10_000, controller.signal);
    const stopped = hub.waitForAny([{ trackingName: 'produto', level: 10n }], 10_000);
    controller.abort();
    expect((await aborted).kind).toBe('aborted');
    stopping.value = true;
    expect((await stopped).kind).toBe('stopping');
    expect(hub.waiting).toBe(0);
    expect((await hub.waitForAny([{ trackingName: 'produto', level: 10n }], 10_000)).kind).toBe('stopping');
  });

  it('keeps a subscription registered between its waits, judges it when it waits again, and ends it once', async () => {
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }));
    await clock.current();
    const subscription = hub.subscribe([{ trackingName: 'produto', level: 10n }, { trackingName: 'loja', level: 10n }], 5_000);
    // Registered, not waiting until it waits.
    expect(hub.waiting).toBe(0);
    const first = subscription.next();
    expect(hub.waiting).toBe(1);
    state.next = reading(20n, { produto: 15n, loja: 3n });
    expect(await first).toMatchObject({ kind: 'changed', changed: ['produto'] });
    // Still registered (the clock keeps ticking for it), not waiting: a change now is not lost, it releases the
    // next wait at once.
    expect(hub.waiting).toBe(0);
    subscription.watches[0]!.level = 20n;
    state.next = reading(30n, { produto: 25n, loja: 3n });
    await sleep(100);
    await clock.current();
    expect(await subscription.next()).toMatchObject({ kind: 'changed', changed: ['produto'] });
    expect(subscription.watches.map((watch) => watch.level)).toEqual([20n, 30n]);
    // Read up to the change: the next wait waits, and a quiet epoch moves its levels up without releasing it.
    subscription.watches[0]!.level = 30n;
    const waiting = subscription.next();
    await expect(subscription.next()).rejects.toThrow(/once at a time/);
    state.next = reading(40n, { produto: 25n, loja: 35n });
    expect(await waiting).toMatchObject({ kind: 'changed', changed: ['loja'] });
    expect(subscription.watches.map((watch) => watch.level)).toEqual([40n, 30n]);
    subscription.close();
    subscription.close();
    expect(hub.waiting).toBe(0);
    expect(await subscription.next()).toMatchObject({ kind: 'aborted', changed: [] });
  });

  it('leaves a subscription waiting through a change its owner already knows holds nothing for it', async () => {
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }));
    await clock.current();
    // The owner's answer to "does this change hold nothing for you?": a round worked out for another stream
    // found nothing of this one's (another loja's price), and its levels move past the change.
    let known = true;
    const asked: bigint[] = [];
    const subscription = hub.subscribe([{ trackingName: 'produto', level: 10n }], 5_000, undefined, () => {
      asked.push(clock.epoch!.upper);
      if (known) subscription.watches[0]!.level = clock.epoch!.upper;
      return known;
    });
    let answered = false;
    const waiting = subscription.next().then((outcome) => {
      answered = true;
      return outcome;
    });
    state.next = reading(20n, { produto: 15n, loja: 3n });
    await until(() => asked.length === 1, 'the change to be judged');
    await sleep(100);
    // Still waiting, on the same wait, from past the change: no answer, no new registration.
    expect(answered).toBe(false);
    expect(hub.waiting).toBe(1);
    expect(subscription.watches[0]!.level).toBe(20n);
    // A change the owner does not know about ends the wait as any change does.
    known = false;
    state.next = reading(30n, { produto: 25n, loja: 3n });
    expect(await waiting).toMatchObject({ kind: 'changed', changed: ['produto'] });
    expect(asked).toEqual([20n, 30n]);
    expect(hub.waiting).toBe(0);
    subscription.close();
  });

  it('ends a subscription by its time, its signal, the server stopping, and releases it on another incarnation', async () => {
    const stopping = { value: false };
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }), stopping);
    await clock.current();
    const timed = hub.subscribe([{ trackingName: 'produto', level: 10n }], 150);
    expect((await timed.next()).kind).toBe('timeout');
    expect((await timed.next()).kind).toBe('timeout');
    const controller = new AbortController();
    const aborted = hub.subscribe([{ trackingName: 'produto', level: 10n }], 10_000, controller.signal);
    const waiting = aborted.next();
    controller.abort();
    expect((await waiting).kind).toBe('aborted');
    // Between two waits, another database: the next wait is released at once, to be read again.
    const moved = hub.subscribe([{ trackingName: 'loja', level: 10n }], 10_000);
    state.next = reading(10n, { produto: 5n, loja: 3n }, 'two');
    await sleep(100);
    await clock.current();
    expect(await moved.next()).toMatchObject({ kind: 'changed', changed: ['loja'] });
    const stopped = hub.subscribe([{ trackingName: 'produto', level: 10n }], 10_000);
    const stopWait = stopped.next();
    stopping.value = true;
    hub.releaseAll('stopping');
    expect((await stopWait).kind).toBe('stopping');
    moved.close();
    expect(hub.waiting).toBe(0);
    expect((await hub.subscribe([{ trackingName: 'produto', level: 10n }], 10_000).next()).kind).toBe('stopping');
  });

  it('keeps waiters waiting through failing ticks, and serves no epoch meanwhile', async () => {
    const { state, clock, hub } = rig(reading(10n, { produto: 5n, loja: 3n }));
    await clock.current();
    state.fail = true;
    const wait = hub.waitForAny([{ trackingName: 'produto', level: 10n }], 3_000);
    await sleep(150);
    expect(await clock.current()).toBeNull();
    state.fail = false;
    state.next = reading(30n, { produto: 25n, loja: 3n });
    expect(await wait).toMatchObject({ kind: 'changed', changed: ['produto'] });
  });

  /** A clock whose change signal listens (until a test says otherwise), and the listeners its notifications go to. */
  const listeningClock = (read: () => ClockReading, timing: { intervalMs: number; notifiedGapMs?: number }) => {
    const listeners = new Set<() => void>();
    const signal = { connected: true, listening: async () => signal.connected, onNotification: (listener: () => void) => (listeners.add(listener), () => listeners.delete(listener)) };
    const clock = new ServingClock({ read: async () => read(), tables: async () => ['produto', 'loja'], ...timing, signal, idleCheckMs: 60_000, logger: silent, isStopping: () => false });
    clocks.push(clock);
    return { clock, signal, listeners };
  };

  it('rests while its change signal listens, reads every interval while it does not, and at once on a notification', async () => {
    const state = { reads: 0, next: reading(10n, { produto: 5n, loja: 3n }) };
    const { clock, signal, listeners } = listeningClock(() => {
      state.reads += 1;
      return state.next;
    }, { intervalMs: 40 });
    const hub = new LongPollHub(clock, () => false);
    await clock.current();
    const wait = hub.waitForAny([{ trackingName: 'produto', level: 10n }], 3_000);
    await sleep(400);
    // Listening and nothing notified: no reading in ten intervals.
    expect(state.reads).toBe(1);
    // A notification: one reading, which releases the waiter of the table that changed.
    state.next = reading(20n, { produto: 15n, loja: 3n });
    for (const listener of listeners) listener();
    expect(await wait).toMatchObject({ kind: 'changed', changed: ['produto'] });
    // The connection lost: a reading every interval while someone waits.
    signal.connected = false;
    for (const listener of listeners) listener();
    const lost = state.reads;
    const another = hub.waitForAny([{ trackingName: 'loja', level: 20n }], 1_000);
    await sleep(400);
    expect(state.reads - lost).toBeGreaterThanOrEqual(4);
    hub.releaseAll('aborted');
    await another;
  });

  it('reads at most once per notified gap while notifications keep coming, far more often than its interval', async () => {
    let reads = 0;
    const { clock, listeners } = listeningClock(() => {
      reads += 1;
      return reading(BigInt(10 + reads), { produto: BigInt(10 + reads), loja: 3n });
    }, { intervalMs: 1_000, notifiedGapMs: 40 });
    const hub = new LongPollHub(clock, () => false);
    await clock.current();
    const wait = hub.waitForAny([{ trackingName: 'loja', level: 10n }], 5_000);
    const before = reads;
    // Sales notifying every 10 ms for a second: one reading per gap at most (25), where the interval allows 2.
    const started = Date.now();
    while (Date.now() - started < 1_000) {
      for (const listener of listeners) listener();
      await sleep(10);
    }
    const during = reads - before;
    expect(during).toBeGreaterThanOrEqual(5);
    expect(during).toBeLessThanOrEqual(27);
    hub.releaseAll('aborted');
    await wait;
  });

  it("starts a window where the table's quiet span began, and forgets spans a raised minimum valid version cut", async () => {
    const { state, clock } = rig(reading(10n, { produto: 5n, loja: 3n }));
    const tick = async (next: ClockReading) => {
      state.next = next;
      await sleep(60);
      await clock.current();
    };
    await clock.current();
    // loja changes, produto stays quiet from 5: its span grows to every upper version read since.
    await tick(reading(20n, { produto: 5n, loja: 20n }));
    expect([4n, 5n, 12n, 20n, 21n].map((since) => clock.windowStart('produto', since))).toEqual([4n, 5n, 5n, 5n, 21n]);
    // produto changes: a new span from 31; the old one still serves the PDVs behind it.
    await tick(reading(31n, { produto: 31n, loja: 20n }));
    expect([12n, 20n, 25n, 31n].map((since) => clock.windowStart('produto', since))).toEqual([5n, 5n, 25n, 31n]);
    // Retention raised loja's minimum valid version to 25, inside its span [20, 31]: that span may no longer be served from 20.
    await tick(reading(31n, { produto: 31n, loja: 25n }));
    expect([20n, 25n, 28n].map((since) => clock.windowStart('loja', since))).toEqual([20n, 25n, 25n]);
    // Another incarnation: nothing known any more.
    await tick(reading(31n, { produto: 31n, loja: 25n }, 'two'));
    expect(clock.windowStart('produto', 12n)).toBe(12n);
  });
});

describe('byte-bounded LRU', () => {
  it('drops the least recently used entries beyond its bytes, and entries past their age', () => {
    const lru = new ByteBoundedLru<string>(100, 1_000);
    lru.set('a', 'A', 40, 0);
    lru.set('b', 'B', 40, 0);
    expect(lru.get('a', 10)).toBe('A');
    lru.set('c', 'C', 40, 20);
    expect(lru.get('b', 30)).toBeUndefined();
    expect(lru.get('a', 30)).toBe('A');
    expect(lru.bytes).toBe(80);
    lru.set('huge', 'H', 101, 40);
    expect(lru.get('huge', 40)).toBeUndefined();
    expect(lru.get('c', 5_000)).toBeUndefined();
    expect(lru.bytes).toBe(40);
  });
});

describe('row shaping of floats (both dialects hand JS numbers)', () => {
  const float = { name: 'valor', source: 'Valor', type: 'float', dataType: 'float', datetimePrecision: null, sqlType: 'float' } as const;
  const id = { name: 'id', source: 'Id', type: 'int', dataType: 'int', datetimePrecision: null, sqlType: 'int' } as const;
  const table: ServedTable = { name: 't', sqlName: '[dbo].[T]', trackingName: '[dbo].[T]', keyColumns: ['id'], keys: [id], columns: [id, float], filter: null };

  it.each([[-0, '-0'], [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'], [0, 0], [1.5, 1.5]])('serves %s as %j', (value, wire) => {
    expect(Object.is(rowOf({ k0: 1, c0: 1, c1: value }, table).valor, wire)).toBe(true);
  });

  it('names the key by the central columns in a cursor, by the served ones on the wire', () => {
    expect(sourceKeyOf({ k0: 7 }, table)).toEqual({ Id: 7 });
    expect(changeOf({ sync_version: '5', sync_gone: 1, k0: 7 }, table)).toEqual({ op: 'delete', version: '5', key: { id: 7 } });
  });
});
