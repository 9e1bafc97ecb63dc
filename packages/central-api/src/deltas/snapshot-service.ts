import type { Database, SnapshotPage } from '@goldpdv/core';
import { describeColumns, filterScope } from './page-of-read.js';
import { cursorKeyNames, decodeSnapshotCursor, encodeCursor } from './cursor.js';
import type { DeltaStore } from './db/delta-store.js';
import type { ServingClock } from './live/serving-clock.js';
import type { SyncTokens } from './sync-token.js';
import { servedTableNamed, type TableRegistry } from './table-registry.js';

export interface SnapshotQuery {
  table: string;
  cursor: string | null;
  limit: number;
  lojaId: number;
}

/**
 * A page, the incarnation of the database that served it, and on the last page only the Sync-Token that the
 * client's GET /v1/changes must carry from then on.
 */
export interface SnapshotAnswer {
  page: SnapshotPage;
  syncToken: string | null;
  incarnation: string;
}

export interface SnapshotService {
  readSnapshot(query: SnapshotQuery): Promise<SnapshotAnswer>;
}

/**
 * GET /v1/snapshot: one page of a table's rows at a version fixed by the first page and kept in the cursor. The
 * version is the serving clock's epoch, as for the changes pages: a PDV that has just loaded a table then asks
 * for the same windows as the rest of the fleet.
 */
export function createSnapshotService(options: { db: Database; store: DeltaStore; registry: TableRegistry; tokens: SyncTokens; clock: ServingClock }): SnapshotService {
  const { db, store, registry, tokens, clock } = options;
  return {
    async readSnapshot(query) {
      const table = await servedTableNamed(registry, query.table);
      const cursor = query.cursor === null ? null : decodeSnapshotCursor(query.cursor, cursorKeyNames(table));
      const read = await store.readSnapshot(db, { table, cursor, limit: query.limit, lojaId: query.lojaId, upperHint: await clock.current() });
      const page: SnapshotPage = {
        table: table.name,
        snapshotVersion: read.snapshotVersion,
        keyColumns: [...table.keyColumns],
        columns: describeColumns(table),
        rows: read.rows,
        hasMore: read.hasMore,
        nextCursor: read.next ? encodeCursor(read.next) : null,
      };
      // Only the last page proves that the client holds every row (of its loja) as of snapshotVersion.
      // Every page of the snapshot came from this incarnation: the cursor carries it, and the read checks it.
      const claims = { table: table.name, loja: filterScope(table, query.lojaId), base: read.snapshotVersion, incarnation: read.incarnation };
      const syncToken = read.hasMore ? null : await tokens.issue(claims);
      return { page, syncToken, incarnation: read.incarnation };
    },
  };
}
