import { describe, expect, it } from 'vitest';
import { ConfigError } from '@goldpdv/core';
import { ChangeNotifier } from '../src/deltas/change-notifier.js';
import { decodeChangesCursor, decodeSnapshotCursor, encodeCursor } from '../src/deltas/cursor.js';
import { InvalidPullRequestError } from '../src/deltas/delta-errors.js';
import { resolveDeltasConfig } from '../src/deltas/deltas-config.js';
import { parseRowFilters } from '../src/deltas/row-filters.js';
import { msIdent, pgIdent } from '../src/deltas/sql-identifiers.js';
import { orderByDependencies } from '../src/deltas/table-order.js';

const silent = { warn() {}, error() {}, info() {}, debug() {} } as never;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cursors', () => {
  const key = '{"loja_id":1,"produto_id":2}';

  it('round-trip, and normalise their versions', () => {
    const cursor = { to: '120', v: '0110', k: key };
    expect(decodeChangesCursor(encodeCursor(cursor), ['loja_id', 'produto_id'])).toEqual({ to: '120', v: '110', k: key });
    expect(decodeSnapshotCursor(encodeCursor({ s: '7', k: key }), ['produto_id', 'loja_id'])).toEqual({ s: '7', k: key });
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

describe('identifiers', () => {
  it('quotes plain names and refuses anything else', () => {
    expect(pgIdent('preco_loja')).toBe('"preco_loja"');
    expect(msIdent('preco_loja')).toBe('[preco_loja]');
    for (const bad of ['Produto', 'a"b', 'x]y', '1abc', 'a b', '']) {
      expect(() => pgIdent(bad)).toThrow();
      expect(() => msIdent(bad)).toThrow();
    }
  });
});

describe('ROW_FILTERS and the deltas settings', () => {
  it('parses the default, a list, and none', () => {
    expect(parseRowFilters(undefined)).toEqual({ ok: true, value: [{ table: 'preco_loja', column: 'loja_id' }] });
    expect(parseRowFilters('preco_loja.loja_id, estoque_loja.loja_id')).toMatchObject({ ok: true, value: [{ table: 'preco_loja' }, { table: 'estoque_loja' }] });
    expect(parseRowFilters('none')).toEqual({ ok: true, value: [] });
  });

  it.each(['preco_loja', 'preco_loja.loja_id.x', 'Preco.loja_id', 'a.b,a.c'])('refuses %s', (raw) => {
    expect(parseRowFilters(raw).ok).toBe(false);
  });

  it('reads what the API config lacks from the environment, with the usual one-line error', () => {
    expect(resolveDeltasConfig({ HTTP_PORT: 1 }, {})).toMatchObject({ CHANGES_MAX_WAIT_MS: 25_000, CHANGES_POLL_INTERVAL_MS: 150, CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 3_600_000 });
    expect(resolveDeltasConfig({ CHANGES_MAX_WAIT_MS: 5 }, { CHANGES_MAX_WAIT_MS: '9', ROW_FILTERS: 'none' })).toMatchObject({ CHANGES_MAX_WAIT_MS: 5, ROW_FILTERS: [] });
    expect(() => resolveDeltasConfig({}, { ROW_FILTERS: 'preco_loja' })).toThrow(ConfigError);
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

describe('change notifier', () => {
  const notifier = (heads: Map<string, string>, counter: { polls: number }, stopping = { value: false }) =>
    new ChangeNotifier({
      readHeads: async (tables) => {
        counter.polls += 1;
        return new Map(tables.map((table) => [table, heads.get(table) ?? 'none']));
      },
      intervalMs: 50,
      logger: silent,
      isStopping: () => stopping.value,
    });

  it('polls once per interval for every waiter together, and only while someone waits', async () => {
    const heads = new Map([['produto', '1'], ['loja', '1']]);
    const counter = { polls: 0 };
    const n = notifier(heads, counter);
    const waits = Array.from({ length: 20 }, (_, i) => n.waitForChange(i % 2 ? 'produto' : 'loja', '1', 500));
    await sleep(275);
    heads.set('produto', '2');
    const outcomes = await Promise.all(waits);
    expect(outcomes.filter((o) => o === 'changed')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'timeout')).toHaveLength(10);
    // One poll per interval for all twenty waiters: about ten, where one query per waiter would be two hundred.
    expect(counter.polls).toBeGreaterThanOrEqual(1);
    expect(counter.polls).toBeLessThanOrEqual(12);
    const after = counter.polls;
    await sleep(200);
    expect(counter.polls).toBe(after);
    expect(n.waiting).toBe(0);
  });

  it('ends a wait on abort and when the server stops, leaving no waiter behind', async () => {
    const stopping = { value: false };
    const n = notifier(new Map([['produto', '1']]), { polls: 0 }, stopping);
    const controller = new AbortController();
    const aborted = n.waitForChange('produto', '1', 10_000, controller.signal);
    const stopped = n.waitForChange('produto', '1', 10_000);
    controller.abort();
    expect(await aborted).toBe('aborted');
    stopping.value = true;
    expect(await stopped).toBe('stopping');
    expect(n.waiting).toBe(0);
    expect(await n.waitForChange('produto', '1', 10_000)).toBe('stopping');
  });

  it('keeps waiters waiting through a failing poll', async () => {
    let fail = true;
    const n = new ChangeNotifier({
      readHeads: async (tables) => {
        if (fail) throw new Error('database unreachable');
        return new Map(tables.map((table) => [table, '2']));
      },
      intervalMs: 30,
      logger: silent,
      isStopping: () => false,
    });
    const wait = n.waitForChange('produto', '1', 2_000);
    await sleep(100);
    fail = false;
    expect(await wait).toBe('changed');
  });
});
