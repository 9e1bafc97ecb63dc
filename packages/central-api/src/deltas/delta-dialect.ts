import type { Change, Database, Queryable, SyncRow } from '@goldpdv/core';
import type { ChangesCursor, SnapshotCursor } from './cursor.js';
import type { Catalog, CatalogColumn, ServedColumn, ServedTable } from './served-table.js';

/** One read of a changes window: after `since` (or after the cursor), up to the window's upper version. */
export interface ChangesReadRequest {
  table: ServedTable;
  since: bigint;
  cursor: ChangesCursor | null;
  limit: number;
  /** The caller's loja, for the table's row filter. */
  lojaId: number;
}

export interface ChangesRead {
  /** The window's fixed upper version: the bound read now (first page) or the cursor's. */
  toVersion: string;
  changes: Change[];
  hasMore: boolean;
  /** Where the next page starts, when hasMore. */
  next: ChangesCursor | null;
}

export interface SnapshotReadRequest {
  table: ServedTable;
  cursor: SnapshotCursor | null;
  limit: number;
  lojaId: number;
}

export interface SnapshotRead {
  snapshotVersion: string;
  rows: SyncRow[];
  hasMore: boolean;
  next: SnapshotCursor | null;
}

/**
 * What the pull side needs from a storage dialect, one operation per function (each in its own file). The
 * reads throw ResetRequiredError when the version is older than the minimum valid one, and
 * InvalidPullRequestError('cursor') when a cursor points past what this database could have issued.
 */
export interface DeltaDialect {
  readCatalog(db: Queryable): Promise<Catalog>;
  describeColumn(column: CatalogColumn): ServedColumn | null;
  readChanges(db: Database, request: ChangesReadRequest): Promise<ChangesRead>;
  readSnapshot(db: Database, request: SnapshotReadRequest): Promise<SnapshotRead>;
  /**
   * A value per table that changes whenever a new change of that table may have become readable. One query
   * for every table, so one poll serves every waiting request.
   */
  readChangeHeads(db: Queryable, tables: readonly string[]): Promise<Map<string, string>>;
}
