import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, type Database, type Queryable } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import * as checkpointSql from '../src/db/checkpoint-store.mssql.js';
import * as rejectedRowSql from '../src/db/rejected-row-store.mssql.js';
import { createPdvDatabase, deltaCheckpoints, readCheckpoints, storesOf } from './support/pull-fixtures.js';

/**
 * A database whose driver reports no rows affected, whatever a statement did: what SQL Server's mssql driver
 * sees under SET NOCOUNT ON, which a DBA can turn on for every session ('user options') or a login. It wraps
 * the real adapter; only the count is taken away, never the rows a statement returns.
 */
function withoutRowCounts(inner: Database): Database {
  const blind = (db: Queryable): Queryable => ({
    dialect: db.dialect,
    async query(sql, params) {
      return { ...(await db.query(sql, params)), rowCount: 0 };
    },
    executeScript: (sql) => db.executeScript(sql),
  });
  return { ...inner, ...blind(inner), transaction: (work, options) => inner.transaction((tx) => work(blind(tx)), options), dedicated: (options) => inner.dedicated(options), close: () => inner.close() };
}

describeBackends('checkpoint guards', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createPdvDatabase(backend);
    await deltaCheckpoints(t.db, ['produto'], '10');
  });
  afterEach(async () => t.dispose());

  const columns = { fingerprint: 'f1', ignored: 'novo_campo' };
  const move = { version: '12', cursor: null, toVersion: '12', syncToken: 'v1.1.a.b', incarnation: 'inc', rowsApplied: 3, pendingDeletes: [], columns };

  it('count the row the statement returns, not the driver\'s rows-affected count (SET NOCOUNT ON)', async () => {
    const db = withoutRowCounts(t.db);
    const checkpoints = storesOf(db).checkpoints;
    const from = (await readCheckpoints(db)).get('produto')!;
    await db.transaction((tx) => checkpoints.advanceDelta(tx, from, move));
    expect((await readCheckpoints(db)).get('produto')).toMatchObject({ version: '12', rowsApplied: '3', syncToken: 'v1.1.a.b', incarnation: 'inc', appliedColumns: 'f1', ignoredColumns: 'novo_campo' });

    // A checkpoint moved meanwhile (the page was fetched from version 10): nothing matches, and it is noticed.
    const moved = db.transaction((tx) => checkpoints.advanceDelta(tx, from, { ...move, version: '14', toVersion: '14' }));
    await expect(moved).rejects.toBeInstanceOf(PermanentError);
    await expect(moved).rejects.toThrow(/changed while its page was applied/);
    expect((await readCheckpoints(db)).get('produto')).toMatchObject({ version: '12' });

    // The same for the snapshot guards.
    await checkpoints.startSnapshot(db, 'produto');
    const starting = (await readCheckpoints(db)).get('produto')!;
    const page = { snapshotVersion: '20', incarnation: 'inc', cursor: 'c1', lastKey: { produto_id: 1 }, rowsApplied: 1, pendingDeletes: [], columns };
    await db.transaction((tx) => checkpoints.saveSnapshotPage(tx, starting, page));
    await expect(db.transaction((tx) => checkpoints.saveSnapshotPage(tx, starting, { ...page, cursor: 'c2' }))).rejects.toThrow(/changed while its page was applied/);
    const saved = (await readCheckpoints(db)).get('produto')!;
    await expect(db.transaction((tx) => checkpoints.finishSnapshot(tx, { ...saved, snapshotCursor: 'c0' }, { version: '20', syncToken: 't', incarnation: 'inc', rowsApplied: 1, pendingDeletes: [], columns }))).rejects.toThrow(
      /changed while its page was applied/,
    );
    await db.transaction((tx) => checkpoints.finishSnapshot(tx, saved, { version: '20', syncToken: 't', incarnation: 'inc', rowsApplied: 1, pendingDeletes: [], columns }));
    expect((await readCheckpoints(db)).get('produto')).toMatchObject({ mode: 'delta', version: '20', syncToken: 't' });
  });

  it('match a cursor exactly: another case or a trailing space is another cursor', async () => {
    const checkpoints = storesOf(t.db).checkpoints;
    const from = (await readCheckpoints(t.db)).get('produto')!;
    const move = { version: '10', toVersion: '12', syncToken: 'v1.1.a.b', incarnation: 'inc', rowsApplied: 1, pendingDeletes: [], columns };
    await t.db.transaction((tx) => checkpoints.advanceDelta(tx, from, { ...move, cursor: 'eyJ0byI6IjEyIn0' }));
    const mid = (await readCheckpoints(t.db)).get('produto')!;
    for (const other of ['EYJ0BYI6IJEYIN0', 'eyJ0byI6IjEyIn0 ']) {
      await expect(t.db.transaction((tx) => checkpoints.advanceDelta(tx, { ...mid, deltaCursor: other }, { ...move, cursor: null, version: '12' }))).rejects.toThrow(/changed while its page was applied/);
    }
    await t.db.transaction((tx) => checkpoints.advanceDelta(tx, mid, { ...move, cursor: null, version: '12' }));
    expect((await readCheckpoints(t.db)).get('produto')).toMatchObject({ version: '12', deltaCursor: null });
  });
});

describe('checkpoint guards on SQL Server', () => {
  it('compare cursors in a binary collation, lengths included (the default collations ignore case, = ignores trailing spaces)', () => {
    expect(checkpointSql.advanceDelta).toContain('delta_cursor COLLATE Latin1_General_BIN2 = @p7 AND DATALENGTH(delta_cursor) = DATALENGTH(@p7)');
    expect(checkpointSql.saveSnapshotPage).toContain('snapshot_cursor COLLATE Latin1_General_BIN2 = @p6 AND DATALENGTH(snapshot_cursor) = DATALENGTH(@p6)');
    expect(checkpointSql.finishSnapshot).toContain('snapshot_cursor COLLATE Latin1_General_BIN2 = @p4 AND DATALENGTH(snapshot_cursor) = DATALENGTH(@p4)');
    expect(rejectedRowSql.recordRejectedRows).toContain('s.row_key COLLATE Latin1_General_BIN2 = r.row_key');
    for (const sql of [checkpointSql.advanceDelta, checkpointSql.saveSnapshotPage, checkpointSql.finishSnapshot]) {
      expect(sql.slice(sql.indexOf('WHERE'))).not.toMatch(/_cursor = @p\d/);
      expect(sql).toMatch(/OUTPUT inserted\.table_name\nWHERE/);
    }
  });
});
