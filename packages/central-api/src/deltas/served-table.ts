import type { ColumnType } from '@goldpdv/core';

/** One column as the catalog describes it (information_schema.columns), before it is mapped. */
export interface CatalogColumn {
  name: string;
  /** information_schema DATA_TYPE, lowercase: 'numeric', 'timestamp with time zone', 'datetime2'... */
  dataType: string;
  numericPrecision: number | null;
  numericScale: number | null;
  datetimePrecision: number | null;
  /** Characters or bytes; -1 for (max) on SQL Server. */
  maxLength: number | null;
}

/** A central table, found in the catalog under its schema and name exactly as they are spelled there. */
export interface CatalogTable {
  schema: string;
  name: string;
  /** Null when its changes are recorded; else why they are not (tracking off, trigger missing...). */
  untracked: string | null;
  /**
   * What the dialect's version reads name the table by: the quoted schema.name for OBJECT_ID on SQL Server,
   * the change log's table_name on PostgreSQL.
   */
  trackingName: string;
  /** The key columns Change Tracking (or the change log) records, in key order; empty when untracked. */
  keyColumns: string[];
  /** Every column, in table order (only for tracked tables: the others are not served anyway). */
  columns: CatalogColumn[];
}

export interface TableRef {
  schema: string;
  name: string;
}

/** What the catalog says about the declared tables; read by one query set per dialect. */
export interface Catalog {
  /** Where a declared name without a schema lives: dbo on SQL Server, current_schema() on PostgreSQL. */
  defaultSchema: string;
  tables: CatalogTable[];
  foreignKeys: { child: TableRef; parent: TableRef }[];
}

/** A column as it is served: its contract type, and what the SQL that reads it needs to know. */
export interface ServedColumn {
  /** The name it is served under (the wire's). */
  name: string;
  /** The central column's name, which the SQL reads. */
  source: string;
  type: ColumnType;
  dataType: string;
  /** Fractional-second digits of time and timestamp types. */
  datetimePrecision: number | null;
  /** The column's declared type spelled for a CAST (SQL Server: typed cursor comparisons). */
  sqlType: string;
}

/** Filter binding of a served table. A filter column that is part of the key can be decided from a tombstone. */
export interface ServedFilter {
  /** The central column compared with the caller's loja (it need not be served). */
  column: string;
  /** Its declared type, for the CAST of the loja on SQL Server. */
  sqlType: string;
  inKey: boolean;
}

export interface ServedTable {
  /** The contract name. */
  name: string;
  /** The central table, quoted for the dialect's SQL (schema.name). */
  sqlName: string;
  /** See CatalogTable.trackingName. */
  trackingName: string;
  /** The key columns' served names, in key order. */
  keyColumns: string[];
  /** The key columns' descriptions, in key order. */
  keys: ServedColumn[];
  /** Every served column, in declaration order. */
  columns: ServedColumn[];
  filter: ServedFilter | null;
}

/** A declared table that cannot be served as declared now, and why. */
export interface PausedTable {
  name: string;
  reason: string;
}
