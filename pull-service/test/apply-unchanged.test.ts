import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChangesPage, SyncRow } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { applyDeltaPage } from '../src/apply/apply-delta-page.js';
import { startPageServer, type PageServer } from './support/page-server.js';
import { PRODUTO_COLUMNS, createPdvDatabase, deltaCheckpoints, insertCategorias, plannedTable, produtoRow, readCheckpoints, tableJob, type PlannedTable } from './support/pull-fixtures.js';

/**
 * A page applied again (a window read again after a restart, a snapshot over rows already there) must not write
 * the rows it does not change: no new row version, no log, no lock taken for nothing, no trigger of the POS.
 * On PostgreSQL a row's xmin is the transaction that wrote its current version: it shows whether a row was
 * rewritten.
 */
describeBackends(
  'an unchanged page writes nothing',
  (backend) => {
    let t: TestDatabase;
    let planned: PlannedTable;
    let server: PageServer;
    const step = { signal: new AbortController().signal, mayWaitForParents: false };
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

    const apply = async (rows: readonly SyncRow[]) => {
      const checkpoint = (await readCheckpoints(t.db)).get('produto')!;
      const to = String(Number(checkpoint.version) + 1);
      const page: ChangesPage = {
        table: 'produto', sinceVersion: checkpoint.version, toVersion: to, keyColumns: ['produto_id'], columns: [...PRODUTO_COLUMNS],
        changes: rows.map((row) => ({ op: 'upsert', version: to, key: { produto_id: row.produto_id! }, row })), hasMore: false, nextCursor: null,
      };
      server.answerWith(page);
      expect(await applyDeltaPage(tableJob(t.db, planned, server), checkpoint, step)).toMatchObject({ kind: 'progress', applied: rows.length });
    };
    const versions = async () =>
      new Map((await t.db.query<{ produto_id: number; v: string }>('SELECT produto_id, xmin::text AS v FROM produto ORDER BY produto_id')).rows.map((row) => [row.produto_id, row.v]));

    it('rewrites no row of a page applied again, and exactly the rows that changed, case and trailing spaces included', async () => {
      const rows = [1, 2, 3, 4].map((id) => produtoRow(id, { imagem: id === 4 ? 'AAEC' : null }));
      await apply(rows);
      const first = await versions();
      await apply(rows);
      expect(await versions()).toEqual(first);

      const changed = [
        produtoRow(1, { descricao: 'PRODUTO 1 ÇÃO' }), // only the case differs
        produtoRow(2, { descricao: 'Produto 2 ção ' }), // a trailing space
        produtoRow(3),
        produtoRow(4, { imagem: 'AAECAA==' }), // one more (zero) byte
      ];
      await apply(changed);
      const second = await versions();
      expect(second.get(3)).toBe(first.get(3));
      for (const id of [1, 2, 4]) expect(second.get(id), `produto ${id}`).not.toBe(first.get(id));
      const stored = (await t.db.query<{ descricao: string }>('SELECT descricao FROM produto ORDER BY produto_id')).rows.map((row) => row.descricao);
      expect(stored.slice(0, 2)).toEqual(['PRODUTO 1 ÇÃO', 'Produto 2 ção ']);
    });
  },
  ['pglite', 'postgres'],
);
