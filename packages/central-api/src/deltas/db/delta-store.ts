import type { Change, Database, Queryable, SyncRow } from '@goldpdv/core';
import type { ChangesCursor, SnapshotCursor } from '../cursor.js';
import type { ResetRefusal } from '../reset-required-error.js';
import type { SourceTableName } from '../declaration/source-name.js';
import type { Catalog, CatalogColumn, ServedColumn, ServedTable } from '../served-table.js';
import type { UpperHint, VersionWindow } from './page-reads.js';
import type { ClockReading } from './clock-reading.js';
import type { ChangeLogCleanupResult } from './retention.postgres.js';

/** One read of a changes window: after `since` (or after the cursor), up to the window's upper version. */
export interface ChangesReadRequest {
  table: ServedTable;
  since: bigint;
  cursor: ChangesCursor | null;
  limit: number;
  /** The caller's loja, for the table's row filter. */
  lojaId: number;
  /**
   * Whether the caller may read deltas at all (its Sync-Token, see sync-token.ts): null to go on, or why it
   * must take a snapshot first. Asked inside the read's transaction, once the window is known.
   */
  admit(window: VersionWindow): ResetRefusal | null;
  /** A bound the serving clock took, to use as the window's upper version (see UpperHint). */
  upperHint?: UpperHint | null;
}

export interface ChangesRead {
  /** The window's fixed upper version: the bound read now (first page) or the cursor's. */
  toVersion: string;
  /** The incarnation of the database that served the page (incarnation.ts). */
  incarnation: string;
  changes: Change[];
  /** Per change, the `k` of a cursor that resumes after it (cursor.ts). */
  cursorKeys: string[];
  hasMore: boolean;
  /** Where the next page starts, when hasMore. */
  next: ChangesCursor | null;
}

export interface SnapshotReadRequest {
  table: ServedTable;
  cursor: SnapshotCursor | null;
  limit: number;
  lojaId: number;
  /** A bound the serving clock took, to use as the snapshot's version (see UpperHint). */
  upperHint?: UpperHint | null;
}

export interface SnapshotRead {
  snapshotVersion: string;
  /** The incarnation of the database that served the page (incarnation.ts). */
  incarnation: string;
  rows: SyncRow[];
  hasMore: boolean;
  next: SnapshotCursor | null;
}

/** A Sync-Token key as stored: its id and its secret in hex. */
export interface TokenKeyRow {
  keyId: number;
  secretHex: string;
}

/**
 * What the pull side needs from the central database, one operation per method. One store per dialect
 * (delta-store.postgres.ts, delta-store.mssql.ts), chosen once when the server starts (dialect-stores.ts).
 * The reads throw ResetRequiredError when the client must re-snapshot (its version is older than the minimum
 * valid one, newer than the current one, or of another incarnation), and InvalidPullRequestError('cursor') when
 * a changes cursor points past what this database could have issued.
 */
export interface DeltaStore {
  /** The catalog of the declared tables (a dialect may read more, never less). */
  readCatalog(db: Queryable, declared: readonly SourceTableName[]): Promise<Catalog>;
  /** How a column travels, or null when its type cannot travel exactly. */
  describeColumn(column: CatalogColumn): ServedColumn | null;
  readChanges(db: Database, request: ChangesReadRequest): Promise<ChangesRead>;
  readSnapshot(db: Database, request: SnapshotReadRequest): Promise<SnapshotRead>;
  /**
   * One tick of the serving clock (clock-reading.ts): a settled upper version, the incarnation, and where each
   * table's changes stop, by its trackingName. One statement for every table; `previous` is the last tick's.
   */
  readClock(db: Database, tables: readonly string[], previous: ClockReading | null): Promise<ClockReading>;
  /**
   * Deletes old change-log entries in batches; null where the database cleans up by itself (SQL Server's
   * Change Tracking runs with AUTO_CLEANUP = ON).
   */
  cleanupChangeLog: ((db: Queryable) => Promise<ChangeLogCleanupResult>) | null;
  /** The keys that sign and check Sync-Tokens (token-keyring.ts). */
  readTokenKeys(db: Queryable): Promise<TokenKeyRow[]>;
}
