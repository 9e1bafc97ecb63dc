import type { SyncRow } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { seededRandom, type SeededRandom } from '../../../test-support/seeded-random.js';
import { declaredTable, sampleDeclarationWith, startDeltasRig, type DeltasRig } from './deltas-harness.js';

/**
 * Property-based round trips of every PostgreSQL column type through the real read SQL: random values (edge
 * values weighted in: -0, NaN, infinities, 24:00:00, BC dates, infinity timestamps, 2^63 - 1, empty and
 * non-BMP text) are written to a real table, served by GET /v1/snapshot and GET /v1/changes, and each served
 * value must be exactly the contract's wire form of what was written. Seeded (TEST_SEED replays a failure).
 */
interface ColumnCase {
  name: string;
  ddl: string;
  /** A value to write (SQL text for the cast, or a Buffer) and its expected wire form; null writes NULL. */
  generate(random: SeededRandom): { write: string | Buffer; wire: string | number | boolean } | null;
  /** Edge values the first rows take for sure (row 1 the first...), whatever the seed draws. */
  edges?: readonly { write: string; wire: string | number }[];
  /** How a served value compares with the expected one, when not by Object.is (float4). */
  same?(served: unknown, wire: unknown): boolean;
}

const pick = <T>(random: SeededRandom, items: readonly T[]): T => items[random.below(items.length)]!;
const pad = (value: number, width: number): string => String(value).padStart(width, '0');
const digits = (random: SeededRandom, count: number): string => Array.from({ length: count }, () => random.below(10)).join('');
/** Mostly ordinary values, one in four an edge value. */
const sometimes = (random: SeededRandom): boolean => random.below(4) === 0;

function floatWire(value: number): string | number {
  if (Object.is(value, -0)) return '-0';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}
const floatText = (value: number): string => (Object.is(value, -0) ? '-0' : String(value));
const FLOAT_EDGES = [-0, 0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, 2 ** 53 + 2, 0.1, 1e-310];

function randomDouble(random: SeededRandom): number {
  if (sometimes(random)) return pick(random, FLOAT_EDGES);
  const mantissa = random.between(-1, 1);
  return mantissa * 10 ** (random.below(40) - 20);
}

/** A date in either era: { text as PostgreSQL reads it, the wire's date part, the era suffix }. */
function randomDate(random: SeededRandom): { text: string; wire: string; suffix: string } {
  const bc = random.below(5) === 0;
  const year = bc ? 1 + random.below(4000) : 1 + random.below(9999);
  const date = `${pad(year, 4)}-${pad(1 + random.below(12), 2)}-${pad(1 + random.below(28), 2)}`;
  return { text: date, wire: date, suffix: bc ? ' BC' : '' };
}

function randomTime(random: SeededRandom, fraction: number): string {
  const time = `${pad(random.below(24), 2)}:${pad(random.below(60), 2)}:${pad(random.below(60), 2)}`;
  return fraction === 0 ? time : `${time}.${digits(random, fraction)}`;
}

const INFINITIES = ['infinity', '-infinity'] as const;

const CASES: ColumnCase[] = [
  {
    name: 'i4', ddl: 'integer',
    generate: (r) => { const v = sometimes(r) ? pick(r, [0, -2147483648, 2147483647]) : r.below(2 ** 31) - 2 ** 30; return { write: String(v), wire: v }; },
  },
  {
    name: 'i8', ddl: 'bigint',
    generate: (r) => { const v = sometimes(r) ? pick(r, ['9223372036854775807', '-9223372036854775808', '9007199254740993']) : `${r.below(2) ? '-' : ''}${1 + r.below(9)}${digits(r, r.below(18))}`; return { write: v, wire: v }; },
  },
  {
    name: 'dec', ddl: 'numeric(18,4)',
    generate: (r) => { const v = `${r.below(2) ? '-' : ''}${r.below(10) === 0 ? '0' : `${1 + r.below(9)}${digits(r, r.below(13))}`}.${digits(r, 4)}`; return { write: v, wire: v }; },
  },
  {
    name: 'f8', ddl: 'double precision',
    generate: (r) => { const v = randomDouble(r); return { write: floatText(v), wire: floatWire(v) }; },
    edges: FLOAT_EDGES.map((v) => ({ write: floatText(v), wire: floatWire(v) })),
  },
  {
    name: 'f4', ddl: 'real',
    generate: (r) => { const v = sometimes(r) ? pick(r, [-0, NaN, Infinity, -Infinity]) : Math.fround(r.between(-1e6, 1e6)); return { write: floatText(v), wire: floatWire(v) }; },
    // A real travels as its shortest decimal, which reads back as the same float4 (what a PDV's real column holds).
    same: (served, wire) => (typeof served === 'number' && typeof wire === 'number' ? Math.fround(served) === wire : Object.is(served, wire)),
  },
  {
    name: 'd', ddl: 'date',
    edges: [{ write: '0044-03-15 BC', wire: '0044-03-15 BC' }, { write: 'infinity', wire: 'infinity' }, { write: '-infinity', wire: '-infinity' }, { write: '0001-01-01', wire: '0001-01-01' }],
    generate: (r) => { if (sometimes(r)) { const v = pick(r, INFINITIES); return { write: v, wire: v }; } const d = randomDate(r); return { write: `${d.text}${d.suffix}`, wire: `${d.wire}${d.suffix}` }; },
  },
  {
    name: 't6', ddl: 'time(6)',
    edges: [{ write: '24:00:00', wire: '24:00:00.000000' }, { write: '23:59:59.9999995', wire: '24:00:00.000000' }],
    generate: (r) => { if (sometimes(r)) return pick(r, [{ write: '24:00:00', wire: '24:00:00.000000' }, { write: '23:59:59.9999999', wire: '24:00:00.000000' }, { write: '00:00:00', wire: '00:00:00.000000' }]); const t = randomTime(r, 6); return { write: t, wire: t }; },
  },
  {
    name: 't0', ddl: 'time(0)',
    generate: (r) => { if (sometimes(r)) return pick(r, [{ write: '24:00:00', wire: '24:00:00' }, { write: '23:59:59.6', wire: '24:00:00' }]); const t = randomTime(r, 0); return { write: t, wire: t }; },
  },
  {
    name: 'ts', ddl: 'timestamp(6)',
    edges: [{ write: 'infinity', wire: 'infinity' }, { write: '-infinity', wire: '-infinity' }, { write: '0001-12-31 23:59:59.999999 BC', wire: '0001-12-31T23:59:59.999999 BC' }],
    generate: (r) => {
      if (sometimes(r)) { const v = pick(r, INFINITIES); return { write: v, wire: v }; }
      const d = randomDate(r);
      const t = randomTime(r, 6);
      return { write: `${d.text} ${t}${d.suffix}`, wire: `${d.wire}T${t}${d.suffix}` };
    },
  },
  {
    name: 'ts3', ddl: 'timestamp(3)',
    generate: (r) => { const d = randomDate(r); const t = randomTime(r, 3); return { write: `${d.text} ${t}${d.suffix}`, wire: `${d.wire}T${t}${d.suffix}` }; },
  },
  {
    name: 'tz', ddl: 'timestamptz(6)',
    edges: [{ write: '0044-03-15 10:00:00+00 BC', wire: '0044-03-15T10:00:00.000000+00:00 BC' }, { write: 'infinity', wire: 'infinity' }, { write: '2026-11-30 10:15:00.5-03', wire: '2026-11-30T13:15:00.500000+00:00' }],
    generate: (r) => {
      if (sometimes(r)) { const v = pick(r, INFINITIES); return { write: v, wire: v }; }
      const d = randomDate(r);
      const t = randomTime(r, 6);
      return { write: `${d.text} ${t}+00${d.suffix}`, wire: `${d.wire}T${t}+00:00${d.suffix}` };
    },
  },
  {
    name: 'u', ddl: 'uuid',
    generate: (r) => { const hex = Array.from({ length: 32 }, () => '0123456789abcdef'[r.below(16)]).join(''); const v = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`; return { write: v.toUpperCase(), wire: v }; },
  },
  { name: 'ok', ddl: 'boolean', generate: (r) => { const v = r.below(2) === 1; return { write: String(v), wire: v }; } },
  {
    name: 'by', ddl: 'bytea',
    generate: (r) => { const bytes = Buffer.from(Array.from({ length: r.below(4) === 0 ? 0 : r.below(200) }, () => r.below(256))); return { write: bytes, wire: bytes.toString('base64') }; },
  },
  {
    name: 'tx', ddl: 'text',
    generate: (r) => {
      const alphabet = ['a', 'Z', ' ', 'ç', 'ã', 'é', '☕', '🍞', '"', "'", '\\', '\n', '\t', '€', '\u00a0'];
      const v = Array.from({ length: r.below(30) }, () => pick(r, alphabet)).join('');
      return { write: v, wire: v };
    },
  },
];

const ROWS = 80;

describeBackends('every PostgreSQL column type round-trips exactly through the wire (seeded property test)', (backend) => {
  let rig: DeltasRig;
  let since: string;
  const expected = new Map<number, SyncRow>();
  beforeAll(async () => {
    const declaration = sampleDeclarationWith(declaredTable('valores', ['id', ...CASES.map((c) => c.name)]));
    rig = await startDeltasRig(backend, { SERVED_TABLES_FILE: declaration });
    await rig.db.executeScript(`CREATE TABLE valores (id integer PRIMARY KEY, ${CASES.map((c) => `${c.name} ${c.ddl}`).join(', ')});
      SELECT sync_enable_tracking('valores', ARRAY['id']);`);
    since = await rig.checkpoint('valores');
    const random = seededRandom(20261203);
    for (let id = 1; id <= ROWS; id += 1) {
      const values = CASES.map((c) => c.edges?.[id - 1] ?? (random.below(10) === 0 ? null : c.generate(random)));
      const placeholders = CASES.map((c, index) => `$${index + 2}::${c.ddl}`);
      await rig.exec(`INSERT INTO valores (id, ${CASES.map((c) => c.name).join(', ')}) VALUES ($1, ${placeholders.join(', ')})`, [id, ...values.map((v) => v?.write ?? null)]);
      expected.set(id, Object.fromEntries([['id', id], ...CASES.map((c, index) => [c.name, values[index]?.wire ?? null])]) as SyncRow);
    }
  });
  afterAll(async () => rig?.close());

  function expectExact(served: SyncRow, label: string): void {
    const wanted = expected.get(served.id as number)!;
    expect(Object.keys(served)).toEqual(Object.keys(wanted));
    for (const column of CASES) {
      const same = column.same ?? Object.is;
      if (!same(served[column.name], wanted[column.name])) {
        expect.fail(`${label} row ${String(served.id)} column ${column.name} (${column.ddl}): served ${JSON.stringify(served[column.name])}, wrote ${JSON.stringify(wanted[column.name])}`);
      }
    }
  }

  it('in the snapshot', async () => {
    const { rows } = await rig.snapshotAll('valores', { limit: 17 });
    expect(rows).toHaveLength(ROWS);
    for (const row of rows) expectExact(row, 'snapshot');
  });

  it('in the changes', async () => {
    const { changes } = await rig.drainChanges('valores', since, { limit: 23 });
    expect(changes).toHaveLength(ROWS);
    for (const change of changes) {
      expect(change.op).toBe('upsert');
      if (change.op === 'upsert') expectExact(change.row, 'changes');
    }
  });

  it('covers the edge values it claims to (the generator is not silently tame)', () => {
    const served = [...expected.values()];
    const has = (column: string, value: unknown) => served.some((row) => Object.is(row[column], value));
    for (const value of ['-0', 'NaN', 'Infinity', '-Infinity']) expect(has('f8', value), `f8 ${value}`).toBe(true);
    expect(has('t6', '24:00:00.000000')).toBe(true);
    expect(served.some((row) => typeof row.d === 'string' && row.d.endsWith(' BC'))).toBe(true);
    expect(served.some((row) => typeof row.tz === 'string' && row.tz.endsWith('+00:00 BC'))).toBe(true);
    for (const value of INFINITIES) expect(has('ts', value), `ts ${value}`).toBe(true);
  });
}, ['pglite', 'postgres']);
