import type { Database, SnapshotPage } from '@goldpdv/core';
import { describeColumns } from './changes-service.js';
import { decodeSnapshotCursor, encodeCursor } from './cursor.js';
import type { DeltaDialect } from './delta-dialect.js';
import { UnknownTableError } from './delta-errors.js';
import type { TableRegistry } from './table-registry.js';

export interface SnapshotQuery {
  table: string;
  cursor: string | null;
  limit: number;
  lojaId: number;
}

export interface SnapshotService {
  readSnapshot(query: SnapshotQuery): Promise<SnapshotPage>;
}

/** GET /v1/snapshot: one page of a table's rows at a version fixed by the first page and kept in the cursor. */
export function createSnapshotService(options: { db: Database; dialect: DeltaDialect; registry: TableRegistry }): SnapshotService {
  const { db, dialect, registry } = options;
  return {
    async readSnapshot(query) {
      const table = await registry.get(query.table);
      if (!table) throw new UnknownTableError(query.table);
      const cursor = query.cursor === null ? null : decodeSnapshotCursor(query.cursor, table.keyColumns);
      const read = await dialect.readSnapshot(db, { table, cursor, limit: query.limit, lojaId: query.lojaId });
      return {
        table: table.name,
        snapshotVersion: read.snapshotVersion,
        keyColumns: [...table.keyColumns],
        columns: describeColumns(table),
        rows: read.rows,
        hasMore: read.hasMore,
        nextCursor: read.next ? encodeCursor(read.next) : null,
      };
    },
  };
}
