import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChangesPage, Database, SyncRow } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { applyDeltaPage } from '../src/apply/apply-delta-page.js';
import type { RejectPolicy } from '../src/config.js';
import { startPageServer, type PageServer } from './support/page-server.js';
import { createPdvDatabase, deltaCheckpoints, plannedTable, readCheckpoints, tableJob } from './support/pull-fixtures.js';

/**
 * SQL Server only (runs where TEST_MSSQL_URL or Docker is reachable): IDENTITY_INSERT is a session setting that a
 * rollback does not undo and a pooled connection keeps, and only one table per session may have it on. On one
 * connection (a pool of one), a page of one identity table that fails must leave the next page of another identity
 * table free to go in. And char(n) padding must not make an unchanged row look changed.
 */
const DDL = `
CREATE TABLE dbo.IdA (Id int IDENTITY(1,1) NOT NULL PRIMARY KEY, Nome nvarchar(10) NOT NULL);
CREATE TABLE dbo.IdB (Id int IDENTITY(1,1) NOT NULL PRIMARY KEY, Nome nvarchar(10) NOT NULL);
CREATE TABLE dbo.Fixo (Cod int NOT NULL PRIMARY KEY, Sigla char(4) NOT NULL, Versao rowversion);`;

const COLUMNS = { IdA: ['Id', 'Nome'], IdB: ['Id', 'Nome'], Fixo: ['Cod', 'Sigla'] } as const;

describeBackends(
  'identity columns and padded text on SQL Server',
  (backend) => {
    let t: TestDatabase;
    let db: Database;
    let server: PageServer;
    beforeEach(async () => {
      t = await createPdvDatabase(backend);
      await t.db.executeScript(DDL);
      await deltaCheckpoints(t.db, ['IdA', 'IdB', 'Fixo']);
      db = await t.db.dedicated({ requestTimeoutMs: 30_000 });
      server = await startPageServer();
    });
    afterEach(async () => {
      await server.close();
      await db.close();
      await t.dispose();
    });

    const apply = async (table: keyof typeof COLUMNS, rows: readonly SyncRow[], policy: RejectPolicy = 'skip-row') => {
      const planned = await plannedTable(db, table);
      const checkpoint = (await readCheckpoints(db)).get(table)!;
      const to = String(Number(checkpoint.version) + 1);
      const key = COLUMNS[table][0];
      const page: ChangesPage = {
        table, sinceVersion: checkpoint.version, toVersion: to, keyColumns: [key], columns: COLUMNS[table].map((name) => ({ name, type: name === key ? 'int' : 'string' })),
        changes: rows.map((row) => ({ op: 'upsert', version: to, key: { [key]: row[key]! }, row })), hasMore: false, nextCursor: null,
      };
      server.answerWith(page);
      return applyDeltaPage(tableJob(db, planned, server, policy), checkpoint, { signal: new AbortController().signal, mayWaitForParents: false });
    };

    it('a failed identity page leaves IDENTITY_INSERT off on its connection: the next identity table goes in, and local inserts get fresh ids', async () => {
      // One row too long for nvarchar(10): the page fails, its rows are isolated by probes that fail too.
      const first = await apply('IdA', [{ Id: 5, Nome: 'cinco' }, { Id: 6, Nome: 'longo demais aqui' }]);
      expect(first).toMatchObject({ kind: 'progress', applied: 1, rejected: [expect.objectContaining({ key: '{"Id":6}' })] });
      expect(await apply('IdB', [{ Id: 9, Nome: 'nove' }])).toMatchObject({ kind: 'progress', applied: 1, rejected: [] });
      const { rows } = await db.query<{ Id: number }>(`INSERT INTO dbo.IdA (Nome) OUTPUT inserted.Id VALUES (N'na loja')`);
      expect(rows[0]!.Id).toBeGreaterThan(5);
      const b = await db.query<{ Id: number }>(`INSERT INTO dbo.IdB (Nome) OUTPUT inserted.Id VALUES (N'na loja')`);
      expect(b.rows[0]!.Id).toBe(10);
    });

    it('a char(n) value applied again is unchanged, with or without trailing spaces on the wire', async () => {
      await apply('Fixo', [{ Cod: 1, Sigla: 'AB' }]);
      const version = async () => (await db.query<{ v: string }>(`SELECT CONVERT(varchar(20), Versao, 1) AS v FROM dbo.Fixo WHERE Cod = 1`)).rows[0]!.v;
      const before = await version();
      await apply('Fixo', [{ Cod: 1, Sigla: 'AB' }]);
      await apply('Fixo', [{ Cod: 1, Sigla: 'AB  ' }]);
      expect(await version()).toBe(before);
      await apply('Fixo', [{ Cod: 1, Sigla: 'ab' }]);
      expect(await version()).not.toBe(before);
    });
  },
  ['mssql'],
);
