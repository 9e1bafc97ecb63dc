import { quoteIdentifier, type ColumnType } from '@goldpdv/core';
import type { CatalogColumn, ServedColumn } from '../served-table.js';

/**
 * How each SQL Server column travels (see the contract in core's changes-contract.ts).
 * - decimal/numeric: CONVERT to varchar keeps the column's scale ("1234.5600"); money needs style 2, because the
 *   default style rounds it to two decimals.
 * - datetime2/time/datetimeoffset: style 121, which prints every fractional digit of the column's scale. Style 126
 *   looks closer to ISO 8601 but drops the fraction altogether when it is zero, so a value would change its
 *   shape with its content; 121 only needs its space turned into the 'T'. datetimeoffset keeps its own offset.
 * - uniqueidentifier: lowercased, as the contract says.
 * - binary: base64 through XQuery's xs:base64Binary. FOR JSON also base64-encodes binary, but reading the text
 *   back out takes JSON_VALUE, which stops at 4000 characters (a product image is larger), or OPENJSON with a
 *   WITH clause per column; the XQuery form is one expression and has no length limit. sql:column takes its
 *   reference unquoted inside a string literal, where a column named [Foto do Produto] or [a"b] cannot go, so
 *   the column is first read into a derived table under a generated plain alias (mssqlColumnReads).
 * - float: the driver hands a JS number; -0 is turned into "-0" in JS (page-rows.ts), since JSON has no -0.
 * int/smallint/tinyint, float/real, bit and character types come back exact through the driver as they are.
 */
const TYPES: Record<string, ColumnType> = {
  tinyint: 'int',
  smallint: 'int',
  int: 'int',
  bigint: 'bigint',
  decimal: 'decimal',
  numeric: 'decimal',
  money: 'decimal',
  smallmoney: 'decimal',
  float: 'float',
  real: 'float',
  bit: 'bool',
  date: 'date',
  time: 'time',
  datetime2: 'timestamp',
  datetime: 'timestamp',
  smalldatetime: 'timestamp',
  datetimeoffset: 'timestamptz',
  uniqueidentifier: 'uuid',
  binary: 'binary',
  varbinary: 'binary',
  timestamp: 'binary', // rowversion
  char: 'string',
  varchar: 'string',
  nchar: 'string',
  nvarchar: 'string',
  text: 'string',
  ntext: 'string',
  sysname: 'string',
  xml: 'string',
};

const LENGTH_TYPES = new Set(['char', 'varchar', 'nchar', 'nvarchar', 'binary', 'varbinary']);
const SCALE_TYPES = new Set(['decimal', 'numeric']);
const FRACTION_TYPES = new Set(['time', 'datetime2', 'datetimeoffset']);

/** The declared type as T-SQL spells it, e.g. nvarchar(100), decimal(18,4), datetime2(7). */
function sqlTypeOf(column: CatalogColumn): string {
  const base = column.dataType;
  if (LENGTH_TYPES.has(base)) return `${base}(${column.maxLength === -1 || column.maxLength === null ? 'max' : column.maxLength})`;
  if (SCALE_TYPES.has(base)) return `${base}(${column.numericPrecision ?? 18},${column.numericScale ?? 0})`;
  if (FRACTION_TYPES.has(base)) return `${base}(${column.datetimePrecision ?? 7})`;
  return base;
}

/** Null for types that cannot travel exactly (sql_variant, spatial types, hierarchyid, image). */
export function describeMssqlColumn(column: CatalogColumn): ServedColumn | null {
  const type = TYPES[column.dataType];
  if (type === undefined || !/^[a-z0-9_]+$/.test(column.dataType)) return null;
  return { name: column.name, source: column.name, type, dataType: column.dataType, datetimePrecision: column.datetimePrecision, sqlType: sqlTypeOf(column) };
}

/** The T-SQL expression that reads `column` of the row aliased `alias` in its wire form (binary: see mssqlColumnReads). */
export function mssqlValueSql(alias: string, column: ServedColumn): string {
  const ref = `${alias}.${quoteIdentifier('mssql', column.source)}`;
  switch (column.type) {
    case 'int':
    case 'float':
    case 'bool':
      return ref;
    case 'bigint':
      return `CONVERT(varchar(20), ${ref})`;
    case 'decimal':
      return column.dataType.endsWith('money') ? `CONVERT(varchar(30), ${ref}, 2)` : `CONVERT(varchar(50), ${ref})`;
    case 'date':
      return `CONVERT(char(10), ${ref}, 23)`;
    case 'time':
      return `CONVERT(varchar(16), ${ref}, 121)`;
    case 'timestamp':
      return `STUFF(CONVERT(varchar(27), ${ref}, 121), 11, 1, 'T')`;
    case 'timestamptz':
      return `STUFF(CONVERT(varchar(27), CAST(${ref} AS datetime2(${column.datetimePrecision ?? 7})), 121), 11, 1, 'T') + DATENAME(TZOFFSET, ${ref})`;
    case 'uuid':
      return `LOWER(CONVERT(char(36), ${ref}))`;
    case 'binary':
      return ref;
    case 'string':
      return column.dataType === 'xml' ? `CONVERT(nvarchar(max), ${ref})` : ref;
  }
}

/** A plain generated name: what sql:column may reference. */
const binaryAlias = (prefix: string, index: number): string => `${prefix}${index}`;

/**
 * The wire-form expressions of `columns` of the row aliased `alias`, aliased as `as(index)`, and the CROSS
 * APPLY clauses the binary ones need: each binary column is read by a one-row derived table, `b<index>.v`,
 * whose plain name sql:column can take whatever the column is called. The derived table has no FROM, so it
 * yields its one row even when `alias` is the missing side of a LEFT JOIN (the value is then NULL).
 */
export function mssqlColumnReads(alias: string, columns: readonly ServedColumn[], as: (index: number) => string, prefix = 'b'): { select: string[]; applies: string[] } {
  const select: string[] = [];
  const applies: string[] = [];
  columns.forEach((column, index) => {
    if (column.type !== 'binary') {
      select.push(`${mssqlValueSql(alias, column)} AS ${as(index)}`);
      return;
    }
    const derived = binaryAlias(prefix, index);
    applies.push(`CROSS APPLY (SELECT ${mssqlValueSql(alias, column)} AS v) AS ${derived}`);
    select.push(`CAST(N'' AS xml).value('xs:base64Binary(sql:column("${derived}.v"))', 'varchar(max)') AS ${as(index)}`);
  });
  return { select, applies };
}
