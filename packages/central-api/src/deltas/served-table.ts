import type { ColumnType } from '@goldpdv/core';

/** One column as the catalog describes it (information_schema.columns), before it is mapped. */
export interface CatalogColumn {
  table: string;
  name: string;
  /** information_schema DATA_TYPE, lowercase: 'numeric', 'timestamp with time zone', 'datetime2'... */
  dataType: string;
  numericPrecision: number | null;
  numericScale: number | null;
  datetimePrecision: number | null;
  /** Characters or bytes; -1 for (max) on SQL Server. */
  maxLength: number | null;
}

/** What the catalog says about the tracked tables; read by one query set per dialect. */
export interface Catalog {
  tables: { name: string; keyColumns: string[] }[];
  columns: CatalogColumn[];
  foreignKeys: { child: string; parent: string }[];
}

/** A column as it is served: its contract type, and what the SQL that reads it needs to know. */
export interface ServedColumn {
  name: string;
  type: ColumnType;
  dataType: string;
  /** Fractional-second digits of time and timestamp types. */
  datetimePrecision: number | null;
  /** The column's declared type spelled for a CAST (SQL Server: typed cursor comparisons). */
  sqlType: string;
}

/** Filter binding of a served table. A filter column that is part of the key can be decided from a tombstone. */
export interface ServedFilter {
  column: string;
  inKey: boolean;
}

export interface ServedTable {
  name: string;
  keyColumns: string[];
  /** The key columns' descriptions, in key order. */
  keys: ServedColumn[];
  /** Every column, in table order. */
  columns: ServedColumn[];
  filter: ServedFilter | null;
}
