import type { ColumnType } from '@goldpdv/core';
import type { CatalogColumnRow } from './local-schema.js';

/**
 * Catalog queries for SQL Server. @p1 is a JSON array of {schema, name}; a null schema is dbo, where the
 * statements of the apply step put a name without one. Names match under the database's collation.
 */

const WANTED = `OPENJSON(@p1) WITH (s nvarchar(128) '$.schema', n nvarchar(128) '$.name') AS w`;

export const defaultSchemaSql = `SELECT CAST(N'dbo' AS nvarchar(128)) AS default_schema;`;

// has_default: a DEFAULT, an IDENTITY, a computed column, a rowversion or a temporal/ledger GENERATED ALWAYS column
// (generated_always_type, 2016+) fills itself when an INSERT leaves it out, and the last three refuse a value. identity_kind: an IDENTITY takes a pulled value only under SET IDENTITY_INSERT ON ('always').
export const columnsSql = `
SELECT c.TABLE_SCHEMA AS table_schema, c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name, c.DATA_TYPE AS data_type,
       c.CHARACTER_MAXIMUM_LENGTH AS character_maximum_length, c.NUMERIC_PRECISION AS numeric_precision,
       c.NUMERIC_SCALE AS numeric_scale, c.DATETIME_PRECISION AS datetime_precision, c.IS_NULLABLE AS is_nullable,
       CASE WHEN c.COLUMN_DEFAULT IS NOT NULL OR sc.is_identity = 1 OR sc.is_computed = 1 OR sc.generated_always_type <> 0 OR c.DATA_TYPE IN (N'timestamp', N'rowversion') THEN 1 ELSE 0 END AS has_default,
       CASE WHEN sc.is_identity = 1 THEN 'always' END AS identity_kind,
       CASE WHEN sc.is_computed = 1 OR sc.generated_always_type <> 0 OR c.DATA_TYPE IN (N'timestamp', N'rowversion') THEN 1 ELSE 0 END AS is_generated
FROM INFORMATION_SCHEMA.COLUMNS AS c
JOIN ${WANTED} ON c.TABLE_SCHEMA = COALESCE(w.s, N'dbo') AND c.TABLE_NAME = w.n
LEFT JOIN sys.columns AS sc ON sc.object_id = OBJECT_ID(QUOTENAME(c.TABLE_SCHEMA) + N'.' + QUOTENAME(c.TABLE_NAME)) AND sc.name = c.COLUMN_NAME
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION;`;

export const primaryKeysSql = `
SELECT tc.TABLE_SCHEMA AS table_schema, tc.TABLE_NAME AS table_name, kcu.COLUMN_NAME AS column_name
FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS tc
JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS kcu
  ON kcu.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND kcu.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
JOIN ${WANTED} ON tc.TABLE_SCHEMA = COALESCE(w.s, N'dbo') AND tc.TABLE_NAME = w.n
WHERE tc.CONSTRAINT_TYPE = 'PRIMARY KEY'
ORDER BY tc.TABLE_SCHEMA, tc.TABLE_NAME, kcu.ORDINAL_POSITION;`;

export const foreignKeysSql = `
SELECT fk.name AS constraint_name, SCHEMA_NAME(child.schema_id) AS child_schema, child.name AS child_table, cc.name AS child_column,
       SCHEMA_NAME(parent.schema_id) AS parent_schema, parent.name AS parent_table, pc.name AS parent_column
FROM sys.foreign_keys AS fk
JOIN sys.foreign_key_columns AS fkc ON fkc.constraint_object_id = fk.object_id
JOIN sys.tables AS child ON child.object_id = fk.parent_object_id
JOIN sys.tables AS parent ON parent.object_id = fk.referenced_object_id
JOIN sys.columns AS cc ON cc.object_id = fkc.parent_object_id AND cc.column_id = fkc.parent_column_id
JOIN sys.columns AS pc ON pc.object_id = fkc.referenced_object_id AND pc.column_id = fkc.referenced_column_id
WHERE EXISTS (SELECT 1 FROM ${WANTED} WHERE SCHEMA_NAME(parent.schema_id) = COALESCE(w.s, N'dbo') AND parent.name = w.n)
ORDER BY SCHEMA_NAME(child.schema_id), child.name, fk.name, fkc.constraint_column_id;`;

/** Catalog type to the contract's column type. */
const TYPES: Record<string, ColumnType> = {
  tinyint: 'int',
  smallint: 'int',
  int: 'int',
  bigint: 'bigint',
  decimal: 'decimal',
  numeric: 'decimal',
  money: 'decimal',
  smallmoney: 'decimal',
  real: 'float',
  float: 'float',
  char: 'string',
  varchar: 'string',
  nchar: 'string',
  nvarchar: 'string',
  text: 'string',
  ntext: 'string',
  bit: 'bool',
  date: 'date',
  time: 'time',
  datetime: 'timestamp',
  datetime2: 'timestamp',
  smalldatetime: 'timestamp',
  datetimeoffset: 'timestamptz',
  uniqueidentifier: 'uuid',
  binary: 'binary',
  varbinary: 'binary',
  image: 'binary',
};

export const namesIgnoreCase = true;

/**
 * Text columns get no cast: CAST(x AS varchar(14)) silently cuts a long value, while the MERGE's assignment
 * refuses it (error 2628/8152). Binary columns are decoded from base64 by OPENJSON ... WITH (c varbinary(max)).
 * Other types are cast to the column's exact type, so precision and scale are those of the column.
 */
export function columnType(row: CatalogColumnRow): { type: ColumnType | null; castType: string | null } {
  const dataType = row.data_type.toLowerCase();
  const type = TYPES[dataType] ?? null;
  if (type === null || type === 'string' || type === 'binary') return { type, castType: null };
  if (dataType === 'decimal' || dataType === 'numeric') return { type, castType: `${dataType}(${Number(row.numeric_precision)},${Number(row.numeric_scale)})` };
  if (dataType === 'time' || dataType === 'datetime2' || dataType === 'datetimeoffset') return { type, castType: `${dataType}(${Number(row.datetime_precision ?? 7)})` };
  return { type, castType: dataType };
}
