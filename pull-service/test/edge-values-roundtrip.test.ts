import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChangesPage, ColumnType, SyncRow } from '@goldpdv/core';
import { seededRandom, type SeededRandom } from '../../test-support/seeded-random.js';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { applyDeltaPage } from '../src/apply/apply-delta-page.js';
import { startPageServer, type PageServer } from './support/page-server.js';
import { createPdvDatabase, deltaCheckpoints, plannedTable, readCheckpoints, tableJob } from './support/pull-fixtures.js';

/**
 * Seeded property-based round trips, one column per contract type: random wire values, the contract's edge forms
 * among them (float "-0", "NaN", "Infinity", "-Infinity"; time "24:00:00"; "infinity"/"-infinity" and " BC"
 * dates and timestamps), applied by the real delta step into a real PostgreSQL table, read back, and turned into
 * wire form again: equal, value for value. TEST_SEED=<seed> replays a failure.
 */
const DDL = `CREATE TABLE bordas (
  id integer PRIMARY KEY, i integer, g bigint, d numeric, f double precision, r real, b boolean, t time(6), dt date, ts timestamp(6), tz timestamptz(6),
  u uuid, s text, bin bytea)`;

const COLUMNS: { name: string; type: ColumnType }[] = [
  { name: 'id', type: 'int' }, { name: 'i', type: 'int' }, { name: 'g', type: 'bigint' }, { name: 'd', type: 'decimal' }, { name: 'f', type: 'float' },
  { name: 'r', type: 'float' }, { name: 'b', type: 'bool' }, { name: 't', type: 'time' }, { name: 'dt', type: 'date' }, { name: 'ts', type: 'timestamp' },
  { name: 'tz', type: 'timestamptz' }, { name: 'u', type: 'uuid' }, { name: 's', type: 'string' }, { name: 'bin', type: 'binary' },
];

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const pick = <T>(random: SeededRandom, values: readonly T[]): T => values[random.below(values.length)]!;
/** 1 to 6 fractional digits without trailing zeros (PostgreSQL writes none), or none. */
const fraction = (random: SeededRandom) => {
  if (random.below(3) === 0) return '';
  const digits = String(random.below(1_000_000)).padStart(6, '0').replace(/0+$/, '');
  return digits === '' ? '' : `.${digits}`;
};
const clock = (random: SeededRandom) => `${pad(random.below(24), 2)}:${pad(random.below(60), 2)}:${pad(random.below(60), 2)}${fraction(random)}`;
const day = (random: SeededRandom, bc: boolean) => `${pad(1 + random.below(bc ? 4713 : 9999), 4)}-${pad(1 + random.below(12), 2)}-${pad(1 + random.below(28), 2)}`;

const EDGES: Partial<Record<string, readonly (string | number)[]>> = {
  // A bare -0 would reach the PDV as 0 (JSON.stringify(-0) is "0"): the contract sends the string "-0".
  f: ['-0', 'NaN', 'Infinity', '-Infinity', 0, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE],
  r: ['-0', 'NaN', 'Infinity', '-Infinity', 0.5, -0.25],
  t: ['24:00:00', '00:00:00', '23:59:59.999999'],
  dt: ['infinity', '-infinity', '0001-01-01 BC', '0044-03-15 BC', '4713-01-01 BC', '0001-01-01', '9999-12-31'],
  ts: ['infinity', '-infinity', '0044-03-15T10:00:00 BC', '0001-12-31T23:59:59.999999 BC', '0001-01-01T00:00:00', '9999-12-31T23:59:59.999999'],
  tz: ['infinity', '-infinity', '0044-03-15T10:00:00+00:00 BC', '2026-11-30T10:15:00.123456+00:00'],
};

function randomValue(random: SeededRandom, column: string): SyncRow[string] {
  const edges = EDGES[column];
  if (edges && random.below(3) === 0) return pick(random, edges);
  if (column !== 'id' && random.below(12) === 0) return null;
  switch (column) {
    case 'i':
      return random.below(2 ** 32) - 2 ** 31;
    case 'g':
      return (BigInt(random.below(2 ** 31)) * BigInt(2 ** 32) * (random.below(2) ? 1n : -1n) + BigInt(random.below(2 ** 32))).toString();
    case 'd':
      return `${random.below(2) ? '-' : ''}${random.below(10 ** 9)}.${pad(random.below(10 ** 6), 6)}`;
    case 'f':
      return (random.next() - 0.5) * 10 ** (random.below(600) - 300);
    case 'r':
      return Math.fround((random.next() - 0.5) * 10 ** (random.below(60) - 30));
    case 'b':
      return random.below(2) === 0;
    case 't':
      return clock(random);
    case 'dt': {
      const bc = random.below(4) === 0;
      return `${day(random, bc)}${bc ? ' BC' : ''}`;
    }
    case 'ts': {
      const bc = random.below(4) === 0;
      return `${day(random, bc)}T${clock(random)}${bc ? ' BC' : ''}`;
    }
    case 'tz': {
      const bc = random.below(4) === 0;
      return `${day(random, bc)}T${clock(random)}+00:00${bc ? ' BC' : ''}`;
    }
    case 'u':
      return Array.from({ length: 32 }, () => random.below(16).toString(16)).join('').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    case 's':
      return Array.from({ length: random.below(30) }, () => pick(random, ['a', 'Ç', 'ã', ' ', "'", '"', '\\', '😀', '日', '\n', '%', '_'])).join('');
    default:
      return Buffer.from(Array.from({ length: random.below(80) }, () => random.below(256))).toString('base64');
  }
}

/** The wire form of what PostgreSQL gives back as text (the session's TimeZone set to UTC). */
function wireOf(column: string, text: string | null): SyncRow[string] {
  if (text === null) return null;
  switch (column) {
    case 'id':
    case 'i':
      return Number(text);
    case 'b':
      return text === 't' || text === 'true';
    case 'ts':
      return text.replace(' ', 'T');
    case 'tz':
      return /infinity/.test(text) ? text : text.replace(' ', 'T').replace(/\+00( BC)?$/, '+00:00$1');
    case 'bin':
      return text.replace(/\n/g, '');
    default:
      return text;
  }
}

/** What the wire value should come back as: a finite float as a number (either form), the special floats as their words. */
function expectedOf(column: string, value: SyncRow[string]): SyncRow[string] {
  if ((column === 'f' || column === 'r') && value !== null) {
    if (typeof value === 'number') return value;
    return ['-0', 'NaN', 'Infinity', '-Infinity'].includes(value as string) ? value : Number(value);
  }
  return value;
}

describeBackends(
  'edge values round trip exactly into PostgreSQL',
  (backend) => {
    let t: TestDatabase;
    let server: PageServer;
    beforeEach(async () => {
      t = await createPdvDatabase(backend);
      await t.db.executeScript(DDL);
      await deltaCheckpoints(t.db, ['bordas']);
      server = await startPageServer();
    });
    afterEach(async () => {
      await server.close();
      await t.dispose();
    });

    it('every column type, 300 seeded rows with the edge forms among them', async () => {
      const random = seededRandom(20261203);
      const rows: SyncRow[] = Array.from({ length: 300 }, (_, index) => Object.fromEntries(COLUMNS.map(({ name }) => [name, name === 'id' ? index + 1 : randomValue(random, name)])));
      const planned = await plannedTable(t.db, 'bordas');
      const page: ChangesPage = {
        table: 'bordas', sinceVersion: '0', toVersion: '5', keyColumns: ['id'], columns: COLUMNS,
        changes: rows.map((row) => ({ op: 'upsert', version: '5', key: { id: row.id! }, row })), hasMore: false, nextCursor: null,
      };
      server.answerWith(page);
      const [checkpoint] = (await readCheckpoints(t.db)).values();
      const outcome = await applyDeltaPage(tableJob(t.db, planned, server), checkpoint!, { signal: new AbortController().signal, mayWaitForParents: false });
      expect(outcome).toMatchObject({ kind: 'progress', applied: 300, rejected: [] });

      const back = await t.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL TimeZone = 'UTC'`);
        const list = COLUMNS.map(({ name }) => (name === 'bin' ? `encode(bin, 'base64') AS bin` : `${name}::text AS ${name}`)).join(', ');
        return (await tx.query<Record<string, string | null>>(`SELECT ${list} FROM bordas ORDER BY bordas.id`)).rows;
      });
      expect(back).toHaveLength(300);
      let edgesSeen = 0;
      back.forEach((stored, index) => {
        for (const { name } of COLUMNS) {
          const sent = rows[index]![name]!;
          const got = wireOf(name, stored[name] ?? null);
          const want = expectedOf(name, sent);
          // A real comes back in its shortest text, which reads back to the same single-precision value.
          const asNumber = name === 'r' ? Math.fround(Number(got)) : Number(got);
          if (typeof want === 'number') expect(asNumber, `row ${index + 1} column ${name}: sent ${JSON.stringify(sent)}`).toBe(want);
          else expect(got, `row ${index + 1} column ${name}: sent ${JSON.stringify(sent)}`).toEqual(want);
          if (EDGES[name]?.includes(sent as string)) edgesSeen += 1;
        }
      });
      // The edge forms were there to be checked, not left to chance.
      expect(edgesSeen).toBeGreaterThan(100);
    });
  },
  ['pglite', 'postgres'],
);
