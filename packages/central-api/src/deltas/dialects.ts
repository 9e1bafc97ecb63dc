import type { DialectName } from '@goldpdv/core';
import { readMssqlCatalog } from './catalog.mssql.js';
import { readPostgresCatalog } from './catalog.postgres.js';
import { readChangeHeadsMssql } from './change-heads.mssql.js';
import { readChangeHeadsPostgres } from './change-heads.postgres.js';
import { describeMssqlColumn } from './column-values.mssql.js';
import { describePostgresColumn } from './column-values.postgres.js';
import type { DeltaDialect } from './delta-dialect.js';
import { readChangesMssql } from './read-changes.mssql.js';
import { readChangesPostgres } from './read-changes.postgres.js';
import { readSnapshotMssql } from './read-snapshot.mssql.js';
import { readSnapshotPostgres } from './read-snapshot.postgres.js';

export const DELTA_DIALECTS: Record<DialectName, DeltaDialect> = {
  postgres: {
    readCatalog: readPostgresCatalog,
    describeColumn: describePostgresColumn,
    readChanges: readChangesPostgres,
    readSnapshot: readSnapshotPostgres,
    readChangeHeads: readChangeHeadsPostgres,
  },
  mssql: {
    readCatalog: readMssqlCatalog,
    describeColumn: describeMssqlColumn,
    readChanges: readChangesMssql,
    readSnapshot: readSnapshotMssql,
    readChangeHeads: readChangeHeadsMssql,
  },
};
