import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from '../../core/test/support/backends.js';
import type { SnapshotCursor } from '../src/deltas/cursor.js';
import type { ChangesReadRequest } from '../src/deltas/db/delta-store.js';
import { readChangesPage, readSnapshotPage, type PageQueries, type VersionWindow } from '../src/deltas/db/page-reads.js';
import { SqlParamList } from '../src/deltas/db/sql-params.js';
import { InvalidPullRequestError } from '../src/deltas/invalid-pull-request-error.js';
import { ResetRequiredError } from '../src/deltas/reset-required-error.js';
import type { ServedColumn, ServedTable } from '../src/deltas/served-table.js';
import { TablePausedError } from '../src/deltas/table-paused-error.js';

/**
 * The transaction and paging that both dialects share (page-reads.ts), on a real database, with page queries
 * over a fixed set of rows: ids 1..5 changed at versions 11..15. The version window is what each test says,
 * which also reaches the cases only SQL Server produces (a table that is no longer tracked: minValid null).
 */
const column = (name: string, type: ServedColumn['type']): ServedColumn => ({ name, source: name, type, dataType: type, datetimePrecision: null, sqlType: type });
const TABLE: ServedTable = {
  name: 'produto', sqlName: '"produto"', trackingName: 'produto', keyColumns: ['id'], keys: [column('id', 'int')], columns: [column('id', 'int'), column('nome', 'string')], filter: null,
};
const ROWS = `(VALUES (1, 11), (2, 12), (3, 13), (4, 14), (5, 15)) AS r (id, v)`;

function queriesFor(window: VersionWindow): PageQueries {
  return {
    readWindow: async () => window,
    pastUpperMessage: 'cursor reaches past this test window',
    params: () => SqlParamList.postgres(),
    changesSql: (_table, request, to, params) => {
      const after = request.cursor ? `AND r.v > ${params.add(Number(request.cursor.v))}` : '';
      return `SELECT r.v::text AS sync_version, r.id = 4 AS sync_gone, r.id AS k0, r.id AS c0, 'Produto ' || r.id AS c1
                FROM ${ROWS} WHERE r.v > ${params.add(Number(request.since))} AND r.v <= ${params.add(Number(to))} ${after}
               ORDER BY r.v LIMIT ${params.add(request.limit + 1)}`;
    },
    snapshotSql: (_table, request, params) => {
      const after = request.cursor ? `WHERE r.id > ${params.add((JSON.parse(request.cursor.k) as { id: number }).id)}` : '';
      return `SELECT r.id AS k0, r.id AS c0, 'Produto ' || r.id AS c1 FROM ${ROWS} ${after} ORDER BY r.id LIMIT ${params.add(request.limit + 1)}`;
    },
    cursorKey: (row) => JSON.stringify({ id: row.k0 }),
  };
}

const changes = (request: { since: bigint; cursor?: { to: string; v: string; k: string } | null; limit?: number; admit?: ChangesReadRequest['admit'] }) => ({
  table: TABLE,
  since: request.since,
  cursor: request.cursor ?? null,
  limit: request.limit ?? 2,
  lojaId: 1,
  admit: request.admit ?? (() => null),
});

describeBackends(
  'page reads shared by both dialects',
  (backend) => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await backend.create();
    });
    afterAll(async () => database?.dispose());

    it('pages with limit + 1 rows, fixes the window on the first page and resumes after the last served row', async () => {
      const queries = queriesFor({ upper: 14n, minValid: 0n, incarnation: 'i1' });
      const first = await readChangesPage(database.db, queries, changes({ since: 10n }));
      expect(first).toMatchObject({ toVersion: '14', hasMore: true, next: { to: '14', v: '12', k: '{"id":2}' } });
      expect(first.changes).toEqual([
        { op: 'upsert', version: '11', key: { id: 1 }, row: { id: 1, nome: 'Produto 1' } },
        { op: 'upsert', version: '12', key: { id: 2 }, row: { id: 2, nome: 'Produto 2' } },
      ]);
      // The server has moved on (upper 15), but the cursor keeps the window the first page fixed.
      const second = await readChangesPage(database.db, queriesFor({ upper: 15n, minValid: 0n, incarnation: 'i1' }), changes({ since: 10n, cursor: first.next }));
      expect(second).toMatchObject({ toVersion: '14', hasMore: false, next: null });
      expect(second.changes).toEqual([
        { op: 'upsert', version: '13', key: { id: 3 }, row: { id: 3, nome: 'Produto 3' } },
        { op: 'delete', version: '14', key: { id: 4 } },
      ]);
    });

    it('answers an empty window when the upper version is not above since', async () => {
      expect(await readChangesPage(database.db, queriesFor({ upper: 14n, minValid: 0n, incarnation: 'i1' }), changes({ since: 14n }))).toEqual({
        toVersion: '14', incarnation: 'i1', changes: [], cursorKeys: [], hasMore: false, next: null,
      });
    });

    it('refuses a checkpoint below the minimum valid version, a cursor past the upper version, and an untracked table', async () => {
      await expect(readChangesPage(database.db, queriesFor({ upper: 14n, minValid: 12n, incarnation: 'i1' }), changes({ since: 10n }))).rejects.toMatchObject({
        constructor: ResetRequiredError, table: 'produto', minValidVersion: '12', sinceVersion: '10',
      });
      const pastUpper = readChangesPage(database.db, queriesFor({ upper: 14n, minValid: 0n, incarnation: 'i1' }), changes({ since: 10n, cursor: { to: '15', v: '12', k: '{"id":2}' } }));
      await expect(pastUpper).rejects.toBeInstanceOf(InvalidPullRequestError);
      await expect(pastUpper).rejects.toMatchObject({ field: 'cursor', message: 'cursor reaches past this test window' });
      const untracked = readChangesPage(database.db, queriesFor({ upper: 14n, minValid: null, incarnation: 'i1' }), changes({ since: 10n }));
      // Tracking turned off between two catalog reads: the table pauses (409 table-paused), the server stays up.
      await expect(untracked).rejects.toBeInstanceOf(TablePausedError);
      await expect(untracked).rejects.toMatchObject({ table: 'produto', reason: 'it is no longer change-tracked' });
    });

    it("refuses a client the admission turns away, with the window's minimum valid version and the reason", async () => {
      const seen: VersionWindow[] = [];
      const admit = (window: VersionWindow) => {
        seen.push(window);
        return { reason: 'initial-data' as const, note: 'no Sync-Token header' };
      };
      await expect(readChangesPage(database.db, queriesFor({ upper: 14n, minValid: 3n, incarnation: 'i1' }), changes({ since: 10n, admit }))).rejects.toMatchObject({
        constructor: ResetRequiredError, table: 'produto', minValidVersion: '3', sinceVersion: '10', reason: 'initial-data',
      });
      // Asked once, with the window the read's own transaction saw.
      expect(seen).toEqual([{ upper: 14n, minValid: 3n, incarnation: 'i1' }]);
    });

    it('refuses a checkpoint above the current version: the database went back in time', async () => {
      const restored = readChangesPage(database.db, queriesFor({ upper: 14n, minValid: 0n, incarnation: 'i1' }), changes({ since: 15n }));
      await expect(restored).rejects.toMatchObject({ constructor: ResetRequiredError, reason: 'restored', sinceVersion: '15', minValidVersion: '0' });
      // Before its cursor is looked at: a window fixed by the earlier database cannot be finished.
      const midWindow = readChangesPage(database.db, queriesFor({ upper: 14n, minValid: 0n, incarnation: 'i1' }), changes({ since: 15n, cursor: { to: '20', v: '16', k: '{"id":2}' } }));
      await expect(midWindow).rejects.toMatchObject({ constructor: ResetRequiredError, reason: 'restored' });
      // At the current version itself: an empty window, not a reset.
      expect(await readChangesPage(database.db, queriesFor({ upper: 14n, minValid: 0n, incarnation: 'i1' }), changes({ since: 14n }))).toMatchObject({ changes: [], toVersion: '14' });
    });

    it("reads a snapshot at the first page's upper version and keeps it in the cursor", async () => {
      const first = await readSnapshotPage(database.db, queriesFor({ upper: 14n, minValid: 0n, incarnation: 'i1' }), { table: TABLE, cursor: null, limit: 3, lojaId: 1 });
      expect(first).toMatchObject({ snapshotVersion: '14', incarnation: 'i1', hasMore: true, next: { s: '14', k: '{"id":3}', i: 'i1' } });
      expect(first.rows.map((row) => row.id)).toEqual([1, 2, 3]);
      const second = await readSnapshotPage(database.db, queriesFor({ upper: 20n, minValid: 0n, incarnation: 'i1' }), { table: TABLE, cursor: first.next, limit: 3, lojaId: 1 });
      expect(second).toMatchObject({ snapshotVersion: '14', hasMore: false, next: null });
      expect(second.rows.map((row) => row.id)).toEqual([4, 5]);
    });

    it('refuses a snapshot cursor past the upper version or below the minimum valid one, unless the table is untracked', async () => {
      const cursor: SnapshotCursor = { s: '14', k: '{"id":3}', i: 'i1' };
      const page = (window: VersionWindow, from: SnapshotCursor = cursor) => readSnapshotPage(database.db, queriesFor(window), { table: TABLE, cursor: from, limit: 3, lojaId: 1 });
      // Past the current version, or of another incarnation (or of none, from an earlier release): restored.
      await expect(page({ upper: 13n, minValid: 0n, incarnation: 'i1' })).rejects.toMatchObject({ constructor: ResetRequiredError, reason: 'restored', sinceVersion: '14' });
      await expect(page({ upper: 20n, minValid: 0n, incarnation: 'i2' })).rejects.toMatchObject({ constructor: ResetRequiredError, reason: 'incarnation' });
      await expect(page({ upper: 20n, minValid: 0n, incarnation: 'i1' }, { ...cursor, i: null })).rejects.toMatchObject({ constructor: ResetRequiredError, reason: 'incarnation' });
      await expect(page({ upper: 20n, minValid: 15n, incarnation: 'i1' })).rejects.toMatchObject({ constructor: ResetRequiredError, minValidVersion: '15', sinceVersion: '14' });
      // SQL Server cannot tell a minimum valid version for an untracked table: the snapshot page is still read.
      expect((await page({ upper: 20n, minValid: null, incarnation: 'i1' })).rows.map((row) => row.id)).toEqual([4, 5]);
    });
  },
  ['pglite', 'postgres'],
);
