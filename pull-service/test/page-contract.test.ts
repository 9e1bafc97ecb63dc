import { describe, expect, it } from 'vitest';
import { asChangesPage, asSnapshotPage, changesPageSchema, snapshotPageSchema } from '@goldpdv/core';
import { PRODUTO_COLUMNS, produtoRow } from './support/pull-fixtures.js';
import { seededRandom } from '../../test-support/seeded-random.js';

/**
 * The client takes a page without the zod walk only when the schema would accept it unchanged. Whatever the
 * shortcut accepts, the schema must accept too and give back the same value; what it refuses goes to the schema,
 * which keeps naming the field at fault.
 */
type Json = Record<string, unknown>;

const changesPage = (): Json =>
  JSON.parse(
    JSON.stringify({
      table: 'produto',
      sinceVersion: '10',
      toVersion: '20',
      keyColumns: ['produto_id'],
      columns: PRODUTO_COLUMNS,
      changes: [
        { op: 'upsert', version: '11', key: { produto_id: 1 }, row: produtoRow(1, { imagem: 'AAEC', peso_kg: '0.250', ativo: false }) },
        { op: 'delete', version: '12', key: { produto_id: 2 } },
        { op: 'upsert', version: '19', key: { produto_id: 3 }, row: produtoRow(3, { descricao: 'Pão de açúcar "extra" \\ ç' }) },
      ],
      hasMore: true,
      nextCursor: 'abc',
    }),
  ) as Json;

const snapshotPage = (): Json =>
  JSON.parse(
    JSON.stringify({ table: 'produto', snapshotVersion: '30', keyColumns: ['produto_id'], columns: PRODUTO_COLUMNS, rows: [produtoRow(1), produtoRow(2)], hasMore: false, nextCursor: null }),
  ) as Json;

/** Every way of breaking a page that the tests below try, each on a fresh copy. */
const changesMutations: [string, (page: Json) => void][] = [
  ['unknown page property', (page) => (page.extra = 1)],
  ['missing nextCursor', (page) => delete page.nextCursor],
  ['nextCursor a number', (page) => (page.nextCursor = 5)],
  ['table not a string', (page) => (page.table = 7)],
  ['since not a version', (page) => (page.sinceVersion = 'x1')],
  ['since too long', (page) => (page.sinceVersion = '1'.repeat(21))],
  ['to a number', (page) => (page.toVersion = 20)],
  ['hasMore a string', (page) => (page.hasMore = 'true')],
  ['no key columns', (page) => (page.keyColumns = [])],
  ['key column not a string', (page) => (page.keyColumns = [1])],
  ['columns not an array', (page) => (page.columns = {})],
  ['column with an extra property', (page) => ((page.columns as Json[])[0]!.nullable = true)],
  ['column with an empty name', (page) => ((page.columns as Json[])[0]!.name = '')],
  ['column of an unknown type', (page) => ((page.columns as Json[])[0]!.type = 'money')],
  ['changes not an array', (page) => (page.changes = null)],
  ['a change of an unknown op', (page) => ((page.changes as Json[])[0]!.op = 'merge')],
  ['a change with an extra property', (page) => ((page.changes as Json[])[0]!.note = 'x')],
  ['a delete with a row', (page) => ((page.changes as Json[])[1]!.row = { produto_id: 2 })],
  ['an upsert without a row', (page) => delete (page.changes as Json[])[0]!.row],
  ['a change version not a version', (page) => ((page.changes as Json[])[0]!.version = '-1')],
  ['a key that is an array', (page) => ((page.changes as Json[])[0]!.key = [1])],
  ['a key that is null', (page) => ((page.changes as Json[])[1]!.key = null)],
  ['a row value that is an object', (page) => (((page.changes as Json[])[0]!.row as Json).descricao = { text: 'x' })],
  ['a row value that is an array', (page) => (((page.changes as Json[])[2]!.row as Json).preco_base = ['1'])],
  ['a change that is null', (page) => ((page.changes as unknown[])[1] = null)],
  ['a change that is a string', (page) => ((page.changes as unknown[])[1] = 'delete')],
  ['a row with an own __proto__ property', (page) => ((page.changes as Json[])[0]!.row = JSON.parse('{"produto_id": 1, "__proto__": 1}'))],
];

const snapshotMutations: [string, (page: Json) => void][] = [
  ['unknown page property', (page) => (page.extra = 1)],
  ['snapshot version not a version', (page) => (page.snapshotVersion = '')],
  ['rows not an array', (page) => (page.rows = 'x')],
  ['a row that is null', (page) => ((page.rows as unknown[])[0] = null)],
  ['a row value that is an object', (page) => (((page.rows as Json[])[1]!).nome = {})],
  ['a column of an unknown type', (page) => ((page.columns as Json[])[2]!.type = 'text')],
];

describe('pages taken without the schema walk', () => {
  it('a well-formed changes page is taken as it is, equal to what the schema gives', () => {
    const page = changesPage();
    expect(asChangesPage(page)).toBe(page);
    expect(changesPageSchema.parse(changesPage())).toEqual(page);
  });

  it('a well-formed snapshot page is taken as it is, equal to what the schema gives', () => {
    const page = snapshotPage();
    expect(asSnapshotPage(page)).toBe(page);
    expect(snapshotPageSchema.parse(snapshotPage())).toEqual(page);
  });

  it.each(changesMutations)('changes page, %s: left to the schema', (_name, mutate) => {
    const page = changesPage();
    mutate(page);
    expect(asChangesPage(page)).toBeNull();
  });

  it.each(snapshotMutations)('snapshot page, %s: left to the schema', (_name, mutate) => {
    const page = snapshotPage();
    mutate(page);
    expect(asSnapshotPage(page)).toBeNull();
  });

  it('never takes a page the schema refuses or would change (random mutations)', () => {
    const source = seededRandom(42);
    const random = (n: number): number => source.below(n);
    const oddValues: unknown[] = [null, 0, -1.5, '', '12', 'x', true, [], {}, [1], { a: 1 }];
    const pick = (value: unknown, depth: number): [Json | unknown[], string | number] | null => {
      if (typeof value !== 'object' || value === null) return null;
      const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
      if (keys.length === 0) return null;
      const key = keys[random(keys.length)]!;
      const child = (value as Json)[key as string];
      if (depth > 0 && typeof child === 'object' && child !== null && random(3) > 0) return pick(child, depth - 1) ?? [value as Json, key];
      return [value as Json, key];
    };
    let taken = 0;
    for (let i = 0; i < 3_000; i++) {
      const page = changesPage();
      const spot = pick(page, 4);
      if (!spot) continue;
      const [parent, key] = spot;
      const action = random(3);
      if (action === 0 && !Array.isArray(parent)) delete parent[key as string];
      else if (action === 1 && !Array.isArray(parent)) parent[`extra${random(3)}`] = oddValues[random(oddValues.length)];
      else (parent as Json)[key as string] = oddValues[random(oddValues.length)];
      const fast = asChangesPage(page);
      const checked = changesPageSchema.safeParse(JSON.parse(JSON.stringify(page)));
      if (fast !== null) {
        taken += 1;
        expect(checked.success).toBe(true);
        expect(checked.data).toEqual(fast);
      }
    }
    // Some mutations keep the page valid (say a string for another string): those are taken.
    expect(taken).toBeGreaterThan(0);
  });
});
