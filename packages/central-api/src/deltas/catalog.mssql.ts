import type { Queryable } from '@goldpdv/core';
import type { Catalog, CatalogColumn } from './served-table.js';

/**
 * Tracked tables are the dbo tables in sys.change_tracking_tables. Change Tracking requires a primary key and
 * CHANGETABLE returns exactly its columns, so the key is the primary key's index columns in key order.
 * Column types come from INFORMATION_SCHEMA.COLUMNS, foreign keys (for the dependency order) from sys.foreign_keys.
 */
export const TRACKED_KEYS_SQL = `
SELECT OBJECT_NAME(ctt.object_id) AS table_name, c.name AS column_name
  FROM sys.change_tracking_tables AS ctt
  JOIN sys.indexes AS i ON i.object_id = ctt.object_id AND i.is_primary_key = 1
  JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0
  JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
 WHERE OBJECT_SCHEMA_NAME(ctt.object_id) = N'dbo'
 ORDER BY OBJECT_NAME(ctt.object_id), ic.key_ordinal;`;

export const COLUMNS_SQL = `
SELECT c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name, LOWER(c.DATA_TYPE) AS data_type,
       c.NUMERIC_PRECISION AS numeric_precision, c.NUMERIC_SCALE AS numeric_scale,
       c.DATETIME_PRECISION AS datetime_precision, c.CHARACTER_MAXIMUM_LENGTH AS character_maximum_length
  FROM INFORMATION_SCHEMA.COLUMNS AS c
 WHERE c.TABLE_SCHEMA = N'dbo'
   AND c.TABLE_NAME IN (SELECT OBJECT_NAME(ctt.object_id) FROM sys.change_tracking_tables AS ctt
                         WHERE OBJECT_SCHEMA_NAME(ctt.object_id) = N'dbo')
 ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION;`;

export const FOREIGN_KEYS_SQL = `
SELECT OBJECT_NAME(fk.parent_object_id) AS child_table, OBJECT_NAME(fk.referenced_object_id) AS parent_table
  FROM sys.foreign_keys AS fk
 WHERE OBJECT_SCHEMA_NAME(fk.parent_object_id) = N'dbo';`;

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
  character_maximum_length: number | null;
}

export async function readMssqlCatalog(db: Queryable): Promise<Catalog> {
  const keyRows = (await db.query<{ table_name: string; column_name: string }>(TRACKED_KEYS_SQL)).rows;
  const keys = new Map<string, string[]>();
  for (const row of keyRows) keys.set(row.table_name, [...(keys.get(row.table_name) ?? []), row.column_name]);
  const columns = (await db.query<ColumnRow>(COLUMNS_SQL)).rows.map(
    (row): CatalogColumn => ({
      table: row.table_name,
      name: row.column_name,
      dataType: row.data_type,
      numericPrecision: row.numeric_precision,
      numericScale: row.numeric_scale,
      datetimePrecision: row.datetime_precision,
      maxLength: row.character_maximum_length,
    }),
  );
  const foreignKeys = (await db.query<{ child_table: string; parent_table: string }>(FOREIGN_KEYS_SQL)).rows;
  return {
    tables: [...keys].map(([name, keyColumns]) => ({ name, keyColumns })),
    columns,
    foreignKeys: foreignKeys.map((fk) => ({ child: fk.child_table, parent: fk.parent_table })),
  };
}
