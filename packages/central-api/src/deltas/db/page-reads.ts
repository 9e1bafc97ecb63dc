import type { Database, Queryable } from '@goldpdv/core';
import { InvalidPullRequestError } from '../invalid-pull-request-error.js';
import { ResetRequiredError, type ResetReason } from '../reset-required-error.js';
import type { ServedTable } from '../served-table.js';
import { TablePausedError } from '../table-paused-error.js';
import type { ChangesRead, ChangesReadRequest, DeltaStore, SnapshotRead, SnapshotReadRequest } from './delta-store.js';
import { changeOf, rowOf, type PageRow } from './page-rows.js';
import type { SqlParamList } from './sql-params.js';

/** A table's versions as the first statement of a read's transaction sees them. */
export interface VersionWindow {
  /** The highest version a window may reach now: the settled bound (PostgreSQL), the current version (SQL Server). */
  upper: bigint;
  /** A checkpoint below it must re-snapshot; null when the table is no longer tracked. */
  minValid: bigint | null;
  /** Which incarnation of the database this is (incarnation.ts); a client loaded from another one must re-snapshot. */
  incarnation: string;
  /** The upper version is an UpperHint's, not read by this transaction. */
  fromHint?: boolean;
}

/**
 * A settled upper version taken earlier by the serving clock (live/serving-clock.ts), for a read to use instead
 * of reading its own: reads in one clock tick then share their window, and so their page. Used only while the
 * database is of the same incarnation.
 */
export interface UpperHint {
  upper: bigint;
  incarnation: string;
}

/**
 * What the two page reads need of a dialect: its SQL, and the little that really differs. Everything else
 * (the transaction, the checks of the window and the cursor, paging, the next cursor) is written once, below.
 */
export interface PageQueries {
  /** `table` is the table's trackingName (served-table.ts); with a hint, see UpperHint. */
  readWindow(tx: Queryable, table: string, hint?: UpperHint | null): Promise<VersionWindow>;
  /** Why a cursor whose version lies above the window's upper version is refused. */
  pastUpperMessage: string;
  /** An empty parameter list with the dialect's placeholders. */
  params(): SqlParamList;
  /** The table's net changes in the window up to `to`, after the cursor if any: limit + 1 rows in cursor order. */
  changesSql(table: ServedTable, request: ChangesReadRequest, to: bigint, params: SqlParamList): string;
  /** The table's rows after the cursor's key if any: limit + 1 rows in key order. */
  snapshotSql(table: ServedTable, request: SnapshotReadRequest, params: SqlParamList): string;
  /** The `k` of a cursor that resumes after this page row: the row's key as JSON text. */
  cursorKey(row: PageRow, table: ServedTable): string;
}

interface LimitedPage {
  rows: PageRow[];
  hasMore: boolean;
  last: PageRow | undefined;
}

/** One page: the query asks for limit + 1 rows, and the extra row, never served, says whether more follow. */
async function readLimited(tx: Queryable, queries: PageQueries, limit: number, build: (params: SqlParamList) => string): Promise<LimitedPage> {
  const params = queries.params();
  const rows = (await tx.query<PageRow>(build(params), params.values)).rows;
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  return { rows: page, hasMore, last: page.at(-1) };
}

/** A cursor's version must lie within what this database has issued, else it was not issued here. */
function checkCursorVersion(version: bigint, window: VersionWindow, queries: PageQueries): void {
  // A window reaching past the upper version could serve a version before an older one commits.
  if (version > window.upper) throw new InvalidPullRequestError('cursor', queries.pastUpperMessage);
}

/**
 * One page of a table's net changes, in one SNAPSHOT transaction (REPEATABLE READ on PostgreSQL): the
 * window's bounds and the rows come from the same snapshot. The first page fixes the window's upper version,
 * and the cursor carries it to every later page.
 */
export function readChangesPage(db: Database, queries: PageQueries, request: ChangesReadRequest): Promise<ChangesRead> {
  const { table, since, cursor } = request;
  return db.transaction(
    async (tx) => {
      let window = await queries.readWindow(tx, table.trackingName, request.upperHint ?? null);
      // A client ahead of the clock's upper version: another replica, a moment ahead, served it, or the database
      // was restored to an earlier point. The bound read here tells which; the first is answered an empty window
      // that leaves its checkpoint where it is, so that it rejoins the shared windows once the clock catches up.
      const aheadOfHint = window.fromHint === true && (since > window.upper || (cursor !== null && BigInt(cursor.to) > window.upper));
      if (aheadOfHint) window = await queries.readWindow(tx, table.trackingName, null);
      // Tracking was turned off since the registry last read the catalog: the table pauses until it is back.
      if (window.minValid === null) throw new TablePausedError(table.name, 'it is no longer change-tracked');
      const reset = (reason: ResetReason, note?: string) => new ResetRequiredError(table.name, window.minValid!.toString(), since.toString(), reason, note);
      // Versions only grow: a checkpoint above the current one was served by a database that has since gone back
      // in time, whose next changes will reuse the versions this client already passed.
      if (since > window.upper) throw reset('restored', `current version ${window.upper}`);
      const refused = request.admit(window);
      if (refused !== null) throw reset(refused.reason, refused.note);
      if (since < window.minValid) throw reset('retention');
      let to = aheadOfHint ? since : window.upper;
      if (cursor) {
        to = BigInt(cursor.to);
        checkCursorVersion(to, window, queries);
      }
      if (to <= since) return { toVersion: to.toString(), incarnation: window.incarnation, changes: [], cursorKeys: [], hasMore: false, next: null };
      const page = await readLimited(tx, queries, request.limit, (params) => queries.changesSql(table, request, to, params));
      const last = page.last;
      return {
        toVersion: to.toString(),
        incarnation: window.incarnation,
        changes: page.rows.map((row) => changeOf(row, table)),
        cursorKeys: page.rows.map((row) => queries.cursorKey(row, table)),
        hasMore: page.hasMore,
        next: page.hasMore && last ? { to: to.toString(), v: String(last.sync_version), k: queries.cursorKey(last, table) } : null,
      };
    },
    { isolation: 'snapshot' },
  );
}

/**
 * One page of a table's rows, in one SNAPSHOT transaction. The first page's upper version is the snapshot
 * version, kept in the cursor; a later page checks that deltas could still resume from it.
 */
export function readSnapshotPage(db: Database, queries: PageQueries, request: SnapshotReadRequest): Promise<SnapshotRead> {
  const { table, cursor } = request;
  return db.transaction(
    async (tx) => {
      let window = await queries.readWindow(tx, table.trackingName, request.upperHint ?? null);
      // A snapshot version below the moment its rows are read is safe: the deltas from it re-apply what the rows
      // already hold. One above would skip changes; another replica's clock may be ahead of this one's.
      if (window.fromHint && cursor && BigInt(cursor.s) > window.upper) window = await queries.readWindow(tx, table.trackingName, null);
      let snapshotVersion = window.upper.toString();
      if (cursor) {
        const version = BigInt(cursor.s);
        const reset = (reason: ResetReason) => new ResetRequiredError(table.name, (window.minValid ?? 0n).toString(), cursor.s, reason);
        // The pages read so far came from another incarnation, or from versions this database no longer has.
        if (cursor.i !== window.incarnation) throw reset('incarnation');
        if (version > window.upper) throw reset('restored');
        // Retention moved past this snapshot while it was being read: deltas could not resume from it anyway.
        if (window.minValid !== null && version < window.minValid) throw reset('retention');
        snapshotVersion = cursor.s;
      }
      const page = await readLimited(tx, queries, request.limit, (params) => queries.snapshotSql(table, request, params));
      const last = page.last;
      return {
        snapshotVersion,
        incarnation: window.incarnation,
        rows: page.rows.map((row) => rowOf(row, table)),
        hasMore: page.hasMore,
        next: page.hasMore && last ? { s: snapshotVersion, k: queries.cursorKey(last, table), i: window.incarnation } : null,
      };
    },
    { isolation: 'snapshot' },
  );
}

/** A dialect's DeltaStore: its own catalog, column, head and retention operations, and the page reads above on its queries. */
export function deltaStoreOf(queries: PageQueries, operations: Omit<DeltaStore, 'readChanges' | 'readSnapshot'>): DeltaStore {
  return {
    ...operations,
    readChanges: (db, request) => readChangesPage(db, queries, request),
    readSnapshot: (db, request) => readSnapshotPage(db, queries, request),
  };
}
