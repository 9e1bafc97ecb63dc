import type { DialectName, SyncRow } from '@goldpdv/core';
import * as postgres from './apply-sql.postgres.js';
import * as mssql from './apply-sql.mssql.js';
import type { ChildLink, ColumnPlan, TablePlan } from './table-plan.js';

export interface StaleBounds {
  lower: boolean;
  upper: boolean;
}

/** A set-based delete of the rows nothing refers to, and the query that finds the ones left (still referred to). */
export interface DeleteStatements {
  delete: string;
  /** null when no local foreign key refers to the table: then nothing can be left. */
  leftOver: string | null;
}

/** The statements that apply pages to one table, built once per table (and per column set) and reused. */
export interface TableSql {
  /** One statement: every upsert row of a page, with the parameters upsertParams makes of the rows. */
  upsert(columns: readonly ColumnPlan[]): string;
  /** The parameters of upsert(columns) for these rows (central names): per dialect, see apply-sql.*.ts. */
  upsertParams(columns: readonly ColumnPlan[], rows: readonly SyncRow[]): unknown[];
  /** Parameter 1: JSON array of keys (tombstones or pending deletes). */
  readonly deleteKeys: DeleteStatements;
  /** The rows a snapshot page shows are gone. Parameters: page keys, then the bounds that are set. */
  deleteStale(bounds: StaleBounds): DeleteStatements;
  /** Keys of parameter 1 not among the keys of parameter 2, as text under central names. */
  readonly keysNotIn: string;
  /** One row, out_of_order: keys of parameter 1 (with "#" positions) out of local key order. */
  readonly keyOrderCheck: string;
}

const DIALECT = { postgres, mssql } as const;

export function createTableSql(dialect: DialectName, table: TablePlan, referencesTo: (localTable: string) => readonly ChildLink[]): TableSql {
  const sql = DIALECT[dialect];
  const references = referencesTo(table.localTable);
  const upserts = new Map<string, string>();
  const stale = new Map<string, DeleteStatements>();
  const deleting = (predicate: (alias: string) => string): DeleteStatements => {
    if (references.length === 0) return { delete: sql.deleteWhere(table, predicate('t')), leftOver: null };
    return {
      delete: sql.deleteWhere(table, `${predicate('t')} AND ${sql.notReferenced(references, 't')}`),
      leftOver: sql.selectKeysWhere(table, predicate('t')),
    };
  };
  return {
    upsert(columns) {
      const signature = columns.map((column) => column.central).join(',');
      let text = upserts.get(signature);
      if (text === undefined) upserts.set(signature, (text = sql.upsertSql(table, columns)));
      return text;
    },
    upsertParams: (columns, rows) => sql.upsertParams(columns, rows),
    deleteKeys: deleting(sql.keyListPredicate(table)),
    deleteStale(bounds) {
      const signature = `${bounds.lower}:${bounds.upper}`;
      let statements = stale.get(signature);
      if (statements === undefined) stale.set(signature, (statements = deleting(sql.staleRangePredicate(table, bounds))));
      return statements;
    },
    keysNotIn: sql.keysNotInSql(table),
    keyOrderCheck: sql.keyOrderCheckSql(table),
  };
}
