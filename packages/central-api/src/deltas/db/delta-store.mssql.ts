import { readMssqlCatalog } from './catalog.mssql.js';
import { describeMssqlColumn } from './column-values.mssql.js';
import type { DeltaStore } from './delta-store.js';
import { keyCursorText } from './key-order.mssql.js';
import { deltaStoreOf } from './page-reads.js';
import { sourceKeyOf } from './page-rows.js';
import { changesSql } from './read-changes.mssql.js';
import { snapshotSql } from './read-snapshot.mssql.js';
import { SqlParamList } from './sql-params.js';
import { readClockMssql } from './serving-clock.mssql.js';
import { readTokenKeysMssql } from './token-keys.mssql.js';
import { readWindowState } from './versions.mssql.js';

/** The pull side on SQL Server: Change Tracking's CHANGETABLE. */
export const MSSQL_DELTA_STORE: DeltaStore = deltaStoreOf(
  {
    readWindow: readWindowState,
    pastUpperMessage: 'cursor reaches past the current Change Tracking version',
    params: () => SqlParamList.mssql(),
    changesSql,
    snapshotSql,
    // The key's wire values as JSON; key-order.mssql.ts binds them back, each CAST to its column's type.
    cursorKey: (row, table) => keyCursorText(sourceKeyOf(row, table)),
  },
  {
    readCatalog: readMssqlCatalog,
    describeColumn: describeMssqlColumn,
    readClock: readClockMssql,
    // Change Tracking cleans up by itself (AUTO_CLEANUP = ON).
    cleanupChangeLog: null,
    readTokenKeys: readTokenKeysMssql,
  },
);
