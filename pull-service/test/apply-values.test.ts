import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChangesPage, Database, SyncRow } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { applyDeltaPage } from '../src/apply/apply-delta-page.js';
import { observe } from './support/observed-database.js';
import { startPageServer, type PageServer } from './support/page-server.js';
import { createPdvDatabase, deltaCheckpoints, plannedTable, readCheckpoints, tableJob, type PlannedTable } from './support/pull-fixtures.js';

const TIPOS_DDL = {
  postgres: `CREATE TABLE tipos (
    id integer PRIMARY KEY, valor numeric(18,4), dinheiro numeric(19,4), grande bigint, quando timestamp(6), quando_tz timestamptz(6),
    dia date, hora time(6), uid uuid, ativo boolean, bytes bytea, texto varchar(200), fixo char(3), nulo varchar(10))`,
  mssql: `CREATE TABLE dbo.tipos (
    id int PRIMARY KEY, valor decimal(18,4), dinheiro money, grande bigint, quando datetime2(7), quando_tz datetimeoffset(7),
    dia date, hora time(7), uid uniqueidentifier, ativo bit, bytes varbinary(max), texto nvarchar(200), fixo char(3), nulo nvarchar(10))`,
};

const COLUMNS = [
  ['id', 'int'], ['valor', 'decimal'], ['dinheiro', 'decimal'], ['grande', 'bigint'], ['quando', 'timestamp'], ['quando_tz', 'timestamptz'],
  ['dia', 'date'], ['hora', 'time'], ['uid', 'uuid'], ['ativo', 'bool'], ['bytes', 'binary'], ['texto', 'string'], ['fixo', 'string'], ['nulo', 'string'],
].map(([name, type]) => ({ name: name!, type: type as 'int' }));

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const TEXT = 'Açúcar, pão, maçã — ç ã é ü ñ 😀 日本語';

const ROWS: SyncRow[] = [
  {
    id: 1, valor: '1234567.8912', dinheiro: '922337203685477.5807', grande: '9007199254740993', quando: '2026-11-30T10:15:00.123456',
    quando_tz: '2026-11-30T10:15:00.123456-03:00', dia: '2026-11-30', hora: '10:15:00.123456', uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    ativo: true, bytes: ALL_BYTES.toString('base64'), texto: TEXT, fixo: 'abc', nulo: null,
  },
  {
    id: 2, valor: '-0.0001', dinheiro: '-922337203685477.5808', grande: '-9223372036854775808', quando: '0001-01-01T00:00:00',
    quando_tz: '9999-12-31T23:59:59.999999+14:00', dia: '2000-02-29', hora: '00:00:00', uid: '00000000-0000-0000-0000-000000000000',
    ativo: false, bytes: '', texto: '', fixo: 'x', nulo: 'não nulo',
  },
];

/** How each dialect gives the values back as text, to compare strings. */
const READ_BACK = {
  postgres: `SELECT id, valor, dinheiro, grande, quando, quando_tz, dia, hora, uid::text AS uid, ativo, encode(bytes, 'base64') AS bytes, texto, fixo, nulo FROM tipos ORDER BY id`,
  mssql: `SELECT id, CONVERT(varchar(40), valor) AS valor, CONVERT(varchar(40), dinheiro, 2) AS dinheiro, CONVERT(varchar(20), grande) AS grande,
    CONVERT(varchar(30), quando, 126) AS quando, CONVERT(varchar(40), quando_tz, 127) AS quando_tz, CONVERT(varchar(10), dia, 23) AS dia,
    CONVERT(varchar(20), hora) AS hora, LOWER(CONVERT(varchar(36), uid)) AS uid, ativo, CAST(N'' AS xml).value('xs:base64Binary(sql:column("bytes"))', 'varchar(max)') AS bytes,
    texto, fixo, nulo FROM dbo.tipos ORDER BY id`,
};

const EXPECTED = {
  postgres: [
    { id: 1, valor: '1234567.8912', dinheiro: '922337203685477.5807', grande: '9007199254740993', quando: '2026-11-30 10:15:00.123456', quando_tz: '2026-11-30 13:15:00.123456+00', dia: '2026-11-30', hora: '10:15:00.123456', uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', ativo: true, texto: TEXT, fixo: 'abc', nulo: null },
    { id: 2, valor: '-0.0001', dinheiro: '-922337203685477.5808', grande: '-9223372036854775808', quando: '0001-01-01 00:00:00', quando_tz: '9999-12-31 09:59:59.999999+00', dia: '2000-02-29', hora: '00:00:00', uid: '00000000-0000-0000-0000-000000000000', ativo: false, texto: '', fixo: 'x  ', nulo: 'não nulo' },
  ],
  mssql: [
    { id: 1, valor: '1234567.8912', dinheiro: '922337203685477.5807', grande: '9007199254740993', quando: '2026-11-30T10:15:00.1234560', quando_tz: '2026-11-30T10:15:00.1234560-03:00', dia: '2026-11-30', hora: '10:15:00.1234560', uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', ativo: true, texto: TEXT, fixo: 'abc', nulo: null },
    { id: 2, valor: '-0.0001', dinheiro: '-922337203685477.5808', grande: '-9223372036854775808', quando: '0001-01-01T00:00:00', quando_tz: '9999-12-31T23:59:59.9999990+14:00', dia: '2000-02-29', hora: '00:00:00.0000000', uid: '00000000-0000-0000-0000-000000000000', ativo: false, texto: '', fixo: 'x  ', nulo: 'não nulo' },
  ],
};

function pageOf(planned: PlannedTable, rows: readonly SyncRow[], since: string, to: string): ChangesPage {
  return {
    table: planned.plan.table,
    sinceVersion: since,
    toVersion: to,
    keyColumns: planned.plan.keyColumns.map((column) => column.central),
    columns: COLUMNS.filter((column) => planned.plan.columns.has(column.name)),
    changes: rows.map((row) => ({ op: 'upsert' as const, version: to, key: { id: row.id! }, row })),
    hasMore: false,
    nextCursor: null,
  };
}

describeBackends('apply keeps every value exact', (backend) => {
  let t: TestDatabase;
  let server: PageServer;
  beforeEach(async () => {
    t = await createPdvDatabase(backend);
    await t.db.executeScript(TIPOS_DDL[t.db.dialect]);
    await deltaCheckpoints(t.db, ['tipos']);
    server = await startPageServer();
  });
  afterEach(async () => {
    await server.close();
    await t.dispose();
  });

  /** The central API serves `page`; the table's delta step applies it and moves the checkpoint to its end. */
  const applyServed = async (db: Database, planned: PlannedTable, page: ChangesPage) => {
    server.answerWith(page);
    const [checkpoint] = (await readCheckpoints(db)).values();
    return applyDeltaPage(tableJob(db, planned, server), checkpoint!, { signal: new AbortController().signal, mayWaitForParents: false });
  };

  it('decimal, money, bigint, timestamps with microseconds, timestamptz, date, time, uuid, bool, all 256 bytes, accents and emoji, NULL', async () => {
    const planned = await plannedTable(t.db, 'tipos');
    expect(await applyServed(t.db, planned, pageOf(planned, ROWS, '0', '10'))).toMatchObject({ kind: 'progress', applied: 2 });
    const { rows } = await t.db.query<Record<string, unknown>>(READ_BACK[t.db.dialect]);
    const { bytes: firstBytes, ...first } = rows[0]!;
    const { bytes: secondBytes, ...second } = rows[1]!;
    expect([first, second]).toEqual(EXPECTED[t.db.dialect]);
    expect(Buffer.from(String(firstBytes), 'base64').equals(ALL_BYTES)).toBe(true);
    expect(secondBytes ?? '').toBe('');
    // And an update of every column, back to the first row's values, through the same statement.
    const swapped = ROWS.map((row, i) => ({ ...ROWS[1 - i]!, id: row.id! }));
    await applyServed(t.db, planned, pageOf(planned, swapped, '10', '11'));
    const after = (await t.db.query<Record<string, unknown>>(READ_BACK[t.db.dialect])).rows;
    expect(after[1]!.valor).toBe('1234567.8912');
    expect(after[1]!.texto).toBe(TEXT);
    expect(after[0]!.nulo).toBe('não nulo');
  });

  it('a page of 500 rows is one INSERT ... ON CONFLICT / MERGE statement, plus the checkpoint update, in one transaction', async () => {
    const planned = await plannedTable(t.db, 'tipos');
    const observed = observe(t.db);
    const rows = Array.from({ length: 500 }, (_, i) => ({ ...ROWS[0]!, id: i + 1 }));
    const outcome = await applyServed(observed, planned, pageOf(planned, rows, '0', '20'));
    expect(outcome).toMatchObject({ kind: 'progress', applied: 500 });
    const writes = observed.statements.filter((sql) => /^\s*(INSERT|MERGE|UPDATE|DELETE)/i.test(sql));
    expect(writes).toHaveLength(2);
    expect(writes[0]).toMatch(t.db.dialect === 'mssql' ? /^MERGE dbo\.\[tipos\]/ : /^INSERT INTO "tipos"/);
    expect(writes[1]).toMatch(/UPDATE (dbo\.)?sync_checkpoint/);
    const { rows: counted } = await t.db.query<{ n: string | number }>('SELECT COUNT(*) AS n FROM tipos');
    expect(Number(counted[0]!.n)).toBe(500);
    const [checkpoint] = (await readCheckpoints(t.db)).values();
    expect(checkpoint).toMatchObject({ version: '20', rowsApplied: '500', lastError: null });
  });
});
