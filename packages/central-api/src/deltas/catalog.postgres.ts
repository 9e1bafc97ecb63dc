import type { Queryable } from '@goldpdv/core';
import type { Catalog, CatalogColumn } from './served-table.js';

/**
 * Tracked tables are the ones registered in sync_change_tracking (by sync_enable_tracking) that still exist in
 * the current schema; the key columns are the ones the trigger logs. Column types come from
 * information_schema, foreign keys (for the dependency order) from pg_constraint.
 */
const TRACKED_TABLES = `
SELECT t.table_name, t.key_columns
  FROM sync_change_tracking AS t
  JOIN pg_class AS r ON r.relname = t.table_name AND r.relnamespace = (SELECT n.oid FROM pg_namespace AS n WHERE n.nspname = current_schema()) AND r.relkind IN ('r', 'p')
 ORDER BY t.table_name`;

const COLUMNS = `
SELECT c.table_name, c.column_name, c.data_type, c.numeric_precision, c.numeric_scale, c.datetime_precision,
       c.character_maximum_length
  FROM information_schema.columns AS c
 WHERE c.table_schema = current_schema() AND c.table_name = ANY ($1::text[])
 ORDER BY c.table_name, c.ordinal_position`;

const FOREIGN_KEYS = `
SELECT child.relname AS child_table, parent.relname AS parent_table
  FROM pg_constraint AS f
  JOIN pg_class AS child ON child.oid = f.conrelid
  JOIN pg_class AS parent ON parent.oid = f.confrelid
 WHERE f.contype = 'f' AND child.relnamespace = (SELECT n.oid FROM pg_namespace AS n WHERE n.nspname = current_schema())`;

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
  character_maximum_length: number | null;
}

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export async function readPostgresCatalog(db: Queryable): Promise<Catalog> {
  const tables = (await db.query<{ table_name: string; key_columns: string[] }>(TRACKED_TABLES)).rows;
  const names = tables.map((table) => table.table_name);
  const columns = (await db.query<ColumnRow>(COLUMNS, [names])).rows.map(
    (row): CatalogColumn => ({
      table: row.table_name,
      name: row.column_name,
      dataType: row.data_type,
      numericPrecision: numberOrNull(row.numeric_precision),
      numericScale: numberOrNull(row.numeric_scale),
      datetimePrecision: numberOrNull(row.datetime_precision),
      maxLength: numberOrNull(row.character_maximum_length),
    }),
  );
  const foreignKeys = (await db.query<{ child_table: string; parent_table: string }>(FOREIGN_KEYS)).rows;
  return {
    tables: tables.map((table) => ({ name: table.table_name, keyColumns: [...table.key_columns] })),
    columns,
    foreignKeys: foreignKeys.map((fk) => ({ child: fk.child_table, parent: fk.parent_table })),
  };
}
