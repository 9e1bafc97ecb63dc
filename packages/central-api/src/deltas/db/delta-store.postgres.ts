import { readPostgresCatalog } from './catalog.postgres.js';
import { describePostgresColumn } from './column-values.postgres.js';
import type { DeltaStore } from './delta-store.js';
import { deltaStoreOf } from './page-reads.js';
import { changesSql } from './read-changes.postgres.js';
import { snapshotSql } from './read-snapshot.postgres.js';
import { cleanupChangeLog } from './retention.postgres.js';
import { SqlParamList } from './sql-params.js';
import { readClockPostgres } from './serving-clock.postgres.js';
import { readTokenKeysPostgres } from './token-keys.postgres.js';
import { readWindowState } from './versions.postgres.js';

/** The pull side on PostgreSQL: a trigger-maintained change log read under transaction-id snapshots. */
export const POSTGRES_DELTA_STORE: DeltaStore = deltaStoreOf(
  {
    readWindow: readWindowState,
    pastUpperMessage: 'cursor reaches past the versions this server has settled',
    params: () => SqlParamList.postgres(),
    changesSql,
    snapshotSql,
    // Both page queries return the key as jsonb text (the change log's pk, or the row's key built alike).
    cursorKey: (row) => String(row.sync_cursor_key),
  },
  {
    readCatalog: readPostgresCatalog,
    describeColumn: describePostgresColumn,
    readClock: readClockPostgres,
    cleanupChangeLog: (db) => cleanupChangeLog(db),
    readTokenKeys: readTokenKeysPostgres,
  },
);
