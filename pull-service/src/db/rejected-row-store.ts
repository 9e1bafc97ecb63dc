import type { Queryable } from '@goldpdv/core';

/** A row the local database refused, as recorded in sync_rejected_row and logged. Names are central names. */
export interface RejectedRow {
  table: string;
  /** The key as compact JSON in key-column order, e.g. {"produto_id":5}. */
  key: string;
  column: string | null;
  reason: string;
  rowData: string | null;
  version: string | null;
}

export interface RejectedRowStore {
  /** In the transaction of the page the rows came with; a row already recorded for its version and reason is not added again. */
  record(tx: Queryable, rows: readonly RejectedRow[]): Promise<void>;
}

/** The statement of one dialect (rejected-row-store.postgres.ts, rejected-row-store.mssql.ts). */
export interface RejectedRowStatements {
  recordRejectedRows: string;
}

export function createRejectedRowStore(sql: RejectedRowStatements): RejectedRowStore {
  return {
    async record(tx, rows) {
      if (rows.length === 0) return;
      const json = rows.map((row) => ({
        table_name: row.table,
        row_key: row.key.slice(0, 400),
        column_name: row.column,
        reason: row.reason.slice(0, 2_000),
        row_data: row.rowData,
        source_version: row.version,
      }));
      await tx.query(sql.recordRejectedRows, [JSON.stringify(json)]);
    },
  };
}
