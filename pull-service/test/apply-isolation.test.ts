import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChangesPage, Database, SyncRow } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { applyDeltaPage } from '../src/apply/apply-delta-page.js';
import type { RejectPolicy } from '../src/config.js';
import type { StepResult } from '../src/table-job.js';
import { observe } from './support/observed-database.js';
import { startPageServer, type PageServer } from './support/page-server.js';
import {
  PRODUTO_COLUMNS,
  countRows,
  createPdvDatabase,
  deltaCheckpoints,
  insertCategorias,
  plannedTable,
  produtoRow,
  readCheckpoints,
  tableJob,
  type PlannedTable,
} from './support/pull-fixtures.js';

interface RejectedRecord {
  table_name: string;
  row_key: string;
  column_name: string | null;
  reason: string;
  row_data: string | null;
  source_version: string | number | null;
}

const changesOf = (rows: readonly SyncRow[], deletes: readonly number[] = [], version = '7') => [
  ...rows.map((row) => ({ op: 'upsert' as const, version, key: { produto_id: row.produto_id! }, row })),
  ...deletes.map((id) => ({ op: 'delete' as const, version, key: { produto_id: id } })),
];

const produtoPage = (from: string, to: string, changes: ChangesPage['changes']): ChangesPage => ({
  table: 'produto', sinceVersion: from, toVersion: to, keyColumns: ['produto_id'], columns: [...PRODUTO_COLUMNS], changes, hasMore: false, nextCursor: null,
});

describeBackends('a page the database refuses in part', (backend) => {
  let t: TestDatabase;
  let planned: PlannedTable;
  let server: PageServer;
  const signal = new AbortController().signal;
  beforeEach(async () => {
    t = await createPdvDatabase(backend);
    await insertCategorias(t.db, [1]);
    await deltaCheckpoints(t.db, ['produto']);
    planned = await plannedTable(t.db, 'produto');
    server = await startPageServer();
  });
  afterEach(async () => {
    await server.close();
    await t.dispose();
  });

  /** The central API serves `page`; produto's delta step applies it, as the round would run it. */
  const applyServed = async (db: Database, page: ChangesPage, options: { policy?: RejectPolicy; mayWait?: boolean } = {}): Promise<StepResult> => {
    server.answerWith(page);
    const checkpoint = (await readCheckpoints(db)).get('produto')!;
    return applyDeltaPage(tableJob(db, planned, server, options.policy), checkpoint, { signal, mayWaitForParents: options.mayWait ?? false });
  };
  const applyProdutos = async (db: Database, rows: readonly SyncRow[], options: { policy: RejectPolicy; mayWait?: boolean; deletes?: number[] }): Promise<StepResult> => {
    const checkpoint = (await readCheckpoints(db)).get('produto')!;
    return applyServed(db, produtoPage(checkpoint.version, '8', changesOf(rows, options.deletes)), options);
  };

  const rejected = async () => (await t.db.query<RejectedRecord>('SELECT table_name, row_key, column_name, reason, row_data, source_version FROM sync_rejected_row ORDER BY row_key')).rows;
  const badPage = () => [
    ...[1, 2, 3, 4].map((id) => produtoRow(id)),
    produtoRow(5, { codigo_barras: '789000000000055' }), // 15 characters into varchar(14)
    ...[6, 7, 8].map((id) => produtoRow(id)),
    produtoRow(9, { preco_base: 'dez reais' }), // not a number
    produtoRow(10),
  ];

  it('stop-table: the good rows are applied, each bad row is recorded with table, key, column and reason, the checkpoint stays', async () => {
    const outcome = await applyProdutos(t.db, badPage(), { policy: 'stop-table' });
    expect(outcome).toMatchObject({ kind: 'held', applied: 8 });
    expect(await countRows(t.db, 'produto')).toBe(8);
    const records = await rejected();
    expect(records.map(({ table_name, row_key, column_name }) => ({ table_name, row_key, column_name }))).toEqual([
      { table_name: 'produto', row_key: '{"produto_id":5}', column_name: 'codigo_barras' },
      { table_name: 'produto', row_key: '{"produto_id":9}', column_name: 'preco_base' },
    ]);
    expect(records[0]!.reason).toMatch(t.db.dialect === 'postgres' ? /^22001 value too long for type character varying\(14\)/ : /truncated/);
    expect(records[1]!.reason).toMatch(t.db.dialect === 'postgres' ? /^22P02 invalid input syntax for type numeric: "dez reais"/ : /convert/i);
    expect(JSON.parse(records[0]!.row_data!)).toMatchObject({ produto_id: 5, codigo_barras: '789000000000055' });
    expect(String(records[0]!.source_version)).toBe('7');
    const checkpoint = (await readCheckpoints(t.db)).get('produto')!;
    expect(checkpoint.version).toBe('0');
    // The round records this reason as the table's last error (malformed-pages.test.ts follows it there).
    expect(outcome.kind === 'held' && outcome.reason).toMatch(/^2 row\(s\) refused; first: key \{"produto_id":5\} column codigo_barras: /);

    // The same page again (the table is retried): nothing is recorded twice, the good rows are simply re-applied.
    expect(await applyProdutos(t.db, badPage(), { policy: 'stop-table' })).toMatchObject({ kind: 'held', applied: 8 });
    expect(await rejected()).toHaveLength(2);
    expect((await readCheckpoints(t.db)).get('produto')!.version).toBe('0');
  });

  it('skip-row: the bad rows are recorded and the checkpoint moves past them', async () => {
    const outcome = await applyProdutos(t.db, badPage(), { policy: 'skip-row' });
    expect(outcome).toMatchObject({ kind: 'progress', applied: 8 });
    expect(outcome.kind === 'progress' && outcome.rejected.map((row) => row.column)).toEqual(['codigo_barras', 'preco_base']);
    expect(await countRows(t.db, 'produto')).toBe(8);
    expect(await rejected()).toHaveLength(2);
    expect((await readCheckpoints(t.db)).get('produto')).toMatchObject({ version: '8', rowsApplied: '8', lastError: null });
  });

  it('isolates by halving, in rolled-back probes: a few dozen statements for 2 bad rows in 200, and the page is never applied row by row', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => produtoRow(i + 1, i === 41 ? { ncm: '123456789' } : i === 170 ? { unidade: 'UNIDADES' } : {}));
    const observed = observe(t.db);
    const outcome = await applyProdutos(observed, rows, { policy: 'skip-row' });
    expect(outcome.kind === 'progress' && outcome.rejected.map((row) => [row.key, row.column])).toEqual([['{"produto_id":42}', 'ncm'], ['{"produto_id":171}', 'unidade']]);
    const upserts = observed.statements.filter((sql) => /^(INSERT INTO "produto"|MERGE)/.test(sql));
    expect(upserts.length).toBeLessThan(40);
    expect(await countRows(t.db, 'produto')).toBe(198);
  });

  it('a row whose parent is missing waits while parents may still arrive, then is refused with its column', async () => {
    const rows = [produtoRow(1), produtoRow(2, { categoria_id: 99 })];
    expect(await applyProdutos(t.db, rows, { policy: 'stop-table', mayWait: true })).toMatchObject({ kind: 'waiting' });
    expect(await countRows(t.db, 'produto')).toBe(0);
    const outcome = await applyProdutos(t.db, rows, { policy: 'skip-row', mayWait: false });
    expect(outcome.kind === 'progress' && outcome.rejected[0]).toMatchObject({ key: '{"produto_id":2}', column: 'categoria_id' });
    expect(await countRows(t.db, 'produto')).toBe(1);
  });

  it('a page where every row fails is the table\'s problem, not the rows\': nothing recorded, nothing applied', async () => {
    await t.db.executeScript(t.db.dialect === 'mssql' ? 'ALTER TABLE dbo.produto ADD CONSTRAINT ck_teste CHECK (preco_base < 0)' : 'ALTER TABLE produto ADD CONSTRAINT ck_teste CHECK (preco_base < 0)');
    const outcome = await applyProdutos(t.db, [produtoRow(1), produtoRow(2), produtoRow(3)], { policy: 'skip-row' });
    expect(outcome).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/^every row of the page fails \(3\)/) });
    expect(await rejected()).toHaveLength(0);
    expect((await readCheckpoints(t.db)).get('produto')!.version).toBe('0');
  });

  it('tombstones delete set-based; a row still referred to locally is kept as a pending delete until its children move', async () => {
    await applyProdutos(t.db, [1, 2, 3].map((id) => produtoRow(id)), { policy: 'stop-table' });
    const p = (n: number) => (t.db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
    await t.db.query(`INSERT INTO loja (loja_id, nome) VALUES (1, ${p(1)})`, ['Centro']);
    await t.db.query(`INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em) VALUES (1, 2, '1.0000', '2026-01-01', '2026-01-01T00:00:00')`);
    const deletePage = async (ids: number[], from: string, to: string) => {
      const observed = observe(t.db);
      const outcome = await applyServed(observed, produtoPage(from, to, changesOf([], ids, to)));
      return { outcome, deletes: observed.statements.filter((sql) => /^DELETE/.test(sql)).length };
    };

    // 2 is still priced locally (its preco_loja delete has not been pulled): kept; 3 goes; 77 was never here.
    const first = await deletePage([2, 3, 77], '8', '9');
    expect(first).toMatchObject({ outcome: { kind: 'progress', applied: 3 }, deletes: 1 });
    expect(await countRows(t.db, 'produto')).toBe(2);
    expect((await readCheckpoints(t.db)).get('produto')).toMatchObject({ version: '9', pendingDeletes: [{ produto_id: '2' }] });

    // The child moves (its own delete is pulled); the next page of the parent finishes the pending delete.
    await t.db.query('DELETE FROM preco_loja');
    await deletePage([], '9', '10');
    expect(await countRows(t.db, 'produto')).toBe(1);
    expect((await readCheckpoints(t.db)).get('produto')).toMatchObject({ version: '10', pendingDeletes: [] });
  });

  it('a pending delete is dropped when the same key is upserted again', async () => {
    await applyProdutos(t.db, [produtoRow(1)], { policy: 'stop-table' });
    await t.db.query(`INSERT INTO loja (loja_id, nome) VALUES (1, 'Centro')`);
    await t.db.query(`INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em) VALUES (1, 1, '1.0000', '2026-01-01', '2026-01-01T00:00:00')`);
    const run = (changes: ReturnType<typeof changesOf>, from: string, to: string) => applyServed(t.db, produtoPage(from, to, changes));
    await run(changesOf([], [1], '9'), '8', '9');
    expect((await readCheckpoints(t.db)).get('produto')!.pendingDeletes).toHaveLength(1);
    await run(changesOf([produtoRow(1, { descricao: 'de volta' })], [], '10'), '9', '10');
    await t.db.query('DELETE FROM preco_loja');
    await run([], '10', '11');
    expect(await countRows(t.db, 'produto')).toBe(1);
    expect((await readCheckpoints(t.db)).get('produto')!.pendingDeletes).toEqual([]);
  });
});
