import type { DialectName } from '@goldpdv/core';
import * as postgres from './apply-sql.postgres.js';
import * as mssql from './apply-sql.mssql.js';
import { cascadeDeletes, deleteWhere } from './cascade-delete.js';
import type { ChildLink, ColumnPlan, TablePlan } from './table-plan.js';

export interface StaleBounds {
  lower: boolean;
  upper: boolean;
}

/** The statements that apply pages to one table, built once per table (and per column set) and reused. */
export interface TableSql {
  /** One statement: every upsert row of a page. Parameter 1: JSON array of rows (central names). */
  upsert(columns: readonly ColumnPlan[]): string;
  /** Cascades into pulled children, then the delete itself. Parameter 1: JSON array of keys. */
  readonly deleteByKeys: readonly string[];
  /** Same, for the rows a snapshot page shows are gone. Parameters: page keys, then the bounds that are set. */
  deleteStale(bounds: StaleBounds): readonly string[];
  /** One row, out_of_order: keys of parameter 1 (with "#" positions) out of local key order. */
  readonly keyOrderCheck: string;
}

const DIALECT = { postgres, mssql } as const;

export function createTableSql(dialect: DialectName, table: TablePlan, childrenOf: (localTable: string) => readonly ChildLink[]): TableSql {
  const sql = DIALECT[dialect];
  const upserts = new Map<string, string>();
  const stale = new Map<string, readonly string[]>();
  const withCascade = (predicate: (alias: string) => string): readonly string[] => [
    ...cascadeDeletes(dialect, table.localTable, predicate, childrenOf),
    deleteWhere(dialect, table.localTable, 't', predicate('t')),
  ];
  return {
    upsert(columns) {
      const signature = columns.map((column) => column.central).join(',');
      let text = upserts.get(signature);
      if (text === undefined) upserts.set(signature, (text = sql.upsertSql(table, columns)));
      return text;
    },
    deleteByKeys: withCascade(sql.keyListPredicate(table)),
    deleteStale(bounds) {
      const signature = `${bounds.lower}:${bounds.upper}`;
      let statements = stale.get(signature);
      if (statements === undefined) stale.set(signature, (statements = withCascade(sql.staleRangePredicate(table, bounds))));
      return statements;
    },
    keyOrderCheck: sql.keyOrderCheckSql(table),
  };
}
