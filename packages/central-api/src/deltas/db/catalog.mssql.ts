import { quoteQualifiedName, type Queryable } from '@goldpdv/core';
import type { Catalog, CatalogTable } from '../served-table.js';
import { columnsByTable, foreignKeyOf, tableId, type CatalogColumnRow, type ForeignKeyRow } from './catalog-rows.js';

/**
 * The catalog in every schema. Tracked tables are the ones in sys.change_tracking_tables; Change Tracking
 * requires a primary key and CHANGETABLE returns exactly its columns, so the key is the primary key's index
 * columns in key order. sys.tables tells a table that exists but is not tracked from one that does not exist.
 * Column types come from INFORMATION_SCHEMA.COLUMNS (tracked tables only: the others are not served anyway),
 * foreign keys (for the dependency order) from sys.foreign_keys. Names are compared as they are stored, so a
 * declaration must spell them as the catalog does. Nothing here needs a newer compatibility level than 100
 * (no OPENJSON), since adopters' databases often keep an old one.
 */
export const TABLES_SQL = `
SELECT s.name AS table_schema, t.name AS table_name,
       CASE WHEN EXISTS (SELECT 1 FROM sys.change_tracking_tables AS ctt WHERE ctt.object_id = t.object_id) THEN 1 ELSE 0 END AS tracked
  FROM sys.tables AS t
  JOIN sys.schemas AS s ON s.schema_id = t.schema_id;`;

export const TRACKED_KEYS_SQL = `
SELECT OBJECT_SCHEMA_NAME(ctt.object_id) AS table_schema, OBJECT_NAME(ctt.object_id) AS table_name, c.name AS column_name
  FROM sys.change_tracking_tables AS ctt
  JOIN sys.indexes AS i ON i.object_id = ctt.object_id AND i.is_primary_key = 1
  JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal > 0
  JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
 ORDER BY ctt.object_id, ic.key_ordinal;`;

export const COLUMNS_SQL = `
SELECT c.TABLE_SCHEMA AS table_schema, c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name, LOWER(c.DATA_TYPE) AS data_type,
       c.NUMERIC_PRECISION AS numeric_precision, c.NUMERIC_SCALE AS numeric_scale,
       c.DATETIME_PRECISION AS datetime_precision, c.CHARACTER_MAXIMUM_LENGTH AS character_maximum_length
  FROM INFORMATION_SCHEMA.COLUMNS AS c
  JOIN sys.change_tracking_tables AS ctt
    ON OBJECT_SCHEMA_NAME(ctt.object_id) = c.TABLE_SCHEMA AND OBJECT_NAME(ctt.object_id) = c.TABLE_NAME
 ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION;`;

export const FOREIGN_KEYS_SQL = `
SELECT OBJECT_SCHEMA_NAME(fk.parent_object_id) AS child_schema, OBJECT_NAME(fk.parent_object_id) AS child_table,
       OBJECT_SCHEMA_NAME(fk.referenced_object_id) AS parent_schema, OBJECT_NAME(fk.referenced_object_id) AS parent_table
  FROM sys.foreign_keys AS fk;`;

/** A declared name without a schema: dbo, as the sample schema's scripts create it whatever the login's default is. */
export const MSSQL_DEFAULT_SCHEMA = 'dbo';

export async function readMssqlCatalog(db: Queryable): Promise<Catalog> {
  const tableRows = (await db.query<{ table_schema: string; table_name: string; tracked: number | boolean }>(TABLES_SQL)).rows;
  const keyRows = (await db.query<{ table_schema: string; table_name: string; column_name: string }>(TRACKED_KEYS_SQL)).rows;
  const keys = new Map<string, string[]>();
  for (const row of keyRows) {
    const id = tableId({ schema: row.table_schema, name: row.table_name });
    keys.set(id, [...(keys.get(id) ?? []), row.column_name]);
  }
  const columns = columnsByTable((await db.query<CatalogColumnRow>(COLUMNS_SQL)).rows);
  const foreignKeys = (await db.query<ForeignKeyRow>(FOREIGN_KEYS_SQL)).rows;
  const tables = tableRows.map((row): CatalogTable => {
    const id = tableId({ schema: row.table_schema, name: row.table_name });
    const tracked = Number(row.tracked) === 1;
    return {
      schema: row.table_schema,
      name: row.table_name,
      untracked: tracked ? null : 'Change Tracking is not enabled on it (ALTER TABLE ... ENABLE CHANGE_TRACKING)',
      trackingName: quoteQualifiedName('mssql', row.table_schema, row.table_name),
      keyColumns: keys.get(id) ?? [],
      columns: tracked ? (columns.get(id) ?? []) : [],
    };
  });
  return { defaultSchema: MSSQL_DEFAULT_SCHEMA, tables, foreignKeys: foreignKeys.map(foreignKeyOf) };
}
