import type { ColumnType } from '@goldpdv/core';
import type { CatalogColumn, ServedColumn } from './served-table.js';
import { pgIdent } from './sql-identifiers.js';

/**
 * How each PostgreSQL column travels (see the contract in core's changes-contract.ts). Everything whose JS form
 * would not be exact is turned into text by the database itself: numeric and int8 as their decimal text,
 * timestamps by to_char with exactly the column's fractional digits (not ::text, which drops trailing zeros and
 * follows DateStyle), timestamptz in UTC with an explicit +00:00, bytea as base64 without the line breaks
 * encode() inserts every 76 characters. int2/int4, float, bool and text come back exact as they are.
 */
const TYPES: Record<string, ColumnType> = {
  smallint: 'int',
  integer: 'int',
  bigint: 'bigint',
  numeric: 'decimal',
  money: 'decimal',
  real: 'float',
  'double precision': 'float',
  boolean: 'bool',
  date: 'date',
  'time without time zone': 'time',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  uuid: 'uuid',
  bytea: 'binary',
};

/** Character types are read as they are, so char(n) keeps its padding (a ::text cast would strip it). */
const RAW_TEXT = new Set(['character varying', 'character', 'text']);

/** Any other type (json, interval, enums, arrays...) travels as its canonical text form. */
export function describePostgresColumn(column: CatalogColumn): ServedColumn {
  return {
    name: column.name,
    type: TYPES[column.dataType] ?? 'string',
    dataType: column.dataType,
    datetimePrecision: column.datetimePrecision,
    sqlType: column.dataType,
  };
}

/** Keeps `precision` of the six fractional digits that the US pattern prints (and the dot only if any). */
function withPrecision(formatted: string, precision: number | null): string {
  const digits = precision ?? 6;
  if (digits >= 6) return formatted;
  return `left(${formatted}, ${digits === 0 ? -7 : digits - 6})`;
}

/** The SQL expression that reads `column` of the row aliased `alias` in its wire form. */
export function postgresValueSql(alias: string, column: ServedColumn): string {
  const ref = `${alias}.${pgIdent(column.name)}`;
  switch (column.type) {
    case 'int':
    case 'float':
    case 'bool':
      return ref;
    case 'bigint':
    case 'uuid':
      return `${ref}::text`;
    case 'decimal':
      return column.dataType === 'money' ? `${ref}::numeric::text` : `${ref}::text`;
    case 'date':
      return `to_char(${ref}, 'YYYY-MM-DD')`;
    case 'time':
      return withPrecision(`to_char(DATE '2000-01-01' + ${ref}, 'HH24:MI:SS.US')`, column.datetimePrecision);
    case 'timestamp':
      return withPrecision(`to_char(${ref}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`, column.datetimePrecision);
    case 'timestamptz':
      return `${withPrecision(`to_char(${ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`, column.datetimePrecision)} || '+00:00'`;
    case 'binary':
      return `replace(encode(${ref}, 'base64'), chr(10), '')`;
    case 'string':
      return RAW_TEXT.has(column.dataType) ? ref : `${ref}::text`;
  }
}
