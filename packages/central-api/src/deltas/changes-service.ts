import type { ChangesPage, Database } from '@goldpdv/core';
import type { ChangeNotifier } from './change-notifier.js';
import { decodeChangesCursor, encodeCursor, type ChangesCursor } from './cursor.js';
import type { ChangesRead, DeltaDialect } from './delta-dialect.js';
import { InvalidPullRequestError, UnknownTableError } from './delta-errors.js';
import type { ServedTable } from './served-table.js';
import type { TableRegistry } from './table-registry.js';

export interface ChangesQuery {
  table: string;
  since: bigint;
  /** The opaque cursor as the client sent it. */
  cursor: string | null;
  limit: number;
  /** How long to wait for a change when the window is empty (0: answer at once). */
  waitMs: number;
  lojaId: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

export interface ChangesServiceOptions {
  db: Database;
  dialect: DeltaDialect;
  registry: TableRegistry;
  notifier: ChangeNotifier;
}

export interface ChangesService {
  readChanges(query: ChangesQuery): Promise<ChangesPage>;
}

export const describeColumns = (table: ServedTable): ChangesPage['columns'] => table.columns.map(({ name, type }) => ({ name, type }));

function toPage(table: ServedTable, since: bigint, read: ChangesRead): ChangesPage {
  // An empty window still moves the checkpoint up to the bound (never back): a quiet table then keeps its
  // clients above the minimum valid version as retention moves it.
  const to = BigInt(read.toVersion) > since ? read.toVersion : since.toString();
  return {
    table: table.name,
    sinceVersion: since.toString(),
    toVersion: to,
    keyColumns: [...table.keyColumns],
    columns: describeColumns(table),
    changes: read.changes,
    hasMore: read.hasMore,
    nextCursor: read.next ? encodeCursor(read.next) : null,
  };
}

function checkCursor(cursor: ChangesCursor, since: bigint): void {
  const to = BigInt(cursor.to);
  const last = BigInt(cursor.v);
  if (last < since || last > to) throw new InvalidPullRequestError('cursor', 'cursor does not belong to a window that starts at this since');
}

/**
 * GET /v1/changes: one page of a table's net changes. With `waitMs` and an empty first page, it waits on the
 * notifier and reads again each time the table's head moves, until a page has changes or the time is up.
 */
export function createChangesService(options: ChangesServiceOptions): ChangesService {
  const { db, dialect, registry, notifier } = options;
  return {
    async readChanges(query) {
      const table = await registry.get(query.table);
      if (!table) throw new UnknownTableError(query.table);
      const cursor = query.cursor === null ? null : decodeChangesCursor(query.cursor, table.keyColumns);
      if (cursor) checkCursor(cursor, query.since);
      const deadline = Date.now() + query.waitMs;
      for (;;) {
        const seen = notifier.headOf(table.name);
        const read = await dialect.readChanges(db, { table, since: query.since, cursor, limit: query.limit, lojaId: query.lojaId });
        const remaining = deadline - Date.now();
        if (read.changes.length > 0 || cursor !== null || remaining <= 0) return toPage(table, query.since, read);
        const outcome = await notifier.waitForChange(table.name, seen, remaining, query.signal);
        if (outcome !== 'changed') return toPage(table, query.since, read);
      }
    },
  };
}
