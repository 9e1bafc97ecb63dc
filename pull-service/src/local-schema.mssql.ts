import type { CatalogColumnRow, ValueFamily } from './local-schema.js';

/** Catalog queries for SQL Server. @p1 is a JSON array of table names; tables live in dbo. */

export const columnsSql = `
SELECT c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name, c.DATA_TYPE AS data_type,
       c.CHARACTER_MAXIMUM_LENGTH AS character_maximum_length, c.NUMERIC_PRECISION AS numeric_precision,
       c.NUMERIC_SCALE AS numeric_scale, c.DATETIME_PRECISION AS datetime_precision, c.IS_NULLABLE AS is_nullable
FROM INFORMATION_SCHEMA.COLUMNS AS c
WHERE c.TABLE_SCHEMA = N'dbo'
  AND c.TABLE_NAME IN (SELECT [value] FROM OPENJSON(@p1))
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION;`;

export const primaryKeysSql = `
SELECT tc.TABLE_NAME AS table_name, kcu.COLUMN_NAME AS column_name
FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS tc
JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS kcu
  ON kcu.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND kcu.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.CONSTRAINT_TYPE = 'PRIMARY KEY'
  AND tc.TABLE_SCHEMA = N'dbo'
  AND tc.TABLE_NAME IN (SELECT [value] FROM OPENJSON(@p1))
ORDER BY tc.TABLE_NAME, kcu.ORDINAL_POSITION;`;

export const foreignKeysSql = `
SELECT fk.name AS constraint_name, child.name AS child_table, cc.name AS child_column,
       parent.name AS parent_table, pc.name AS parent_column
FROM sys.foreign_keys AS fk
JOIN sys.foreign_key_columns AS fkc ON fkc.constraint_object_id = fk.object_id
JOIN sys.tables AS child ON child.object_id = fk.parent_object_id
JOIN sys.tables AS parent ON parent.object_id = fk.referenced_object_id
JOIN sys.columns AS cc ON cc.object_id = fkc.parent_object_id AND cc.column_id = fkc.parent_column_id
JOIN sys.columns AS pc ON pc.object_id = fkc.referenced_object_id AND pc.column_id = fkc.referenced_column_id
WHERE SCHEMA_NAME(child.schema_id) = N'dbo'
  AND SCHEMA_NAME(parent.schema_id) = N'dbo'
  AND parent.name IN (SELECT [value] FROM OPENJSON(@p1))
ORDER BY child.name, fk.name, fkc.constraint_column_id;`;

const FAMILIES: Record<string, ValueFamily> = {
  tinyint: 'int',
  smallint: 'int',
  int: 'int',
  bigint: 'int',
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

/**
 * Text columns get no cast: CAST(x AS varchar(14)) silently cuts a long value, while the MERGE's assignment
 * refuses it (error 2628/8152). Binary columns are decoded from base64 by OPENJSON ... WITH (c varbinary(max)).
 * Other types are cast to the column's exact type, so precision and scale are those of the column.
 */
export function columnType(row: CatalogColumnRow): { family: ValueFamily | null; castType: string | null } {
  const family = FAMILIES[row.data_type.toLowerCase()] ?? null;
  if (family === null || family === 'string' || family === 'binary') return { family, castType: null };
  const type = row.data_type.toLowerCase();
  if (type === 'decimal' || type === 'numeric') return { family, castType: `${type}(${Number(row.numeric_precision)},${Number(row.numeric_scale)})` };
  if (type === 'time' || type === 'datetime2' || type === 'datetimeoffset') return { family, castType: `${type}(${Number(row.datetime_precision ?? 7)})` };
  return { family, castType: type };
}
