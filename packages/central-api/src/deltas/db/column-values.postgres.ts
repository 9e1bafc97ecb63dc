import { quoteIdentifier, type ColumnType } from '@goldpdv/core';
import type { CatalogColumn, ServedColumn } from '../served-table.js';

/**
 * How each PostgreSQL column travels (see the contract in core's changes-contract.ts). Everything whose JS form
 * would not be exact is turned into text by the database itself: numeric and int8 as their decimal text,
 * timestamps by to_char with exactly the column's fractional digits (not ::text, which drops trailing zeros and
 * follows DateStyle), timestamptz in UTC with an explicit +00:00, bytea as base64 without the line breaks
 * encode() inserts every 76 characters. int2/int4, float, bool and text come back exact as they are (a float's
 * -0, NaN and infinities are made strings in JS, page-rows.ts).
 *
 * Edge values keep their meaning (the contract's header lists the wire forms):
 * - time: 24:00:00 (PostgreSQL rounds 23:59:59.9999995 up to it) is written as 24:00:00 with the column's
 *   fractional digits; to_char needs a timestamp, where it would wrap to 00:00:00, so it is caught first;
 * - date, timestamp, timestamptz: infinity and -infinity (to_char gives NULL for them) are sent as their text;
 * - a date before year 1 keeps its era as a " BC" suffix after the whole value, offset included (to_char's
 *   YYYY prints the year without it).
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
    source: column.name,
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

/** Infinity and -infinity as their own text; `formatted` for every finite value. */
const finiteOr = (ref: string, formatted: string): string => `CASE WHEN isfinite(${ref}) THEN ${formatted} ELSE ${ref}::text END`;

/** " BC" after a value before year 1 (`start` is year 1's first instant in the value's own type). */
const era = (ref: string, start: string): string => `CASE WHEN ${ref} < ${start} THEN ' BC' ELSE '' END`;

/** The SQL expression that reads `column` of the row aliased `alias` in its wire form. */
export function postgresValueSql(alias: string, column: ServedColumn): string {
  const ref = `${alias}.${quoteIdentifier('postgres', column.source)}`;
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
      return finiteOr(ref, `to_char(${ref}, 'YYYY-MM-DD') || ${era(ref, "DATE '0001-01-01'")}`);
    case 'time': {
      const endOfDay = withPrecision(`'24:00:00.000000'`, column.datetimePrecision);
      const formatted = withPrecision(`to_char(DATE '2000-01-01' + ${ref}, 'HH24:MI:SS.US')`, column.datetimePrecision);
      return `CASE WHEN ${ref} = TIME '24:00:00' THEN ${endOfDay} ELSE ${formatted} END`;
    }
    case 'timestamp':
      return finiteOr(ref, `${withPrecision(`to_char(${ref}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`, column.datetimePrecision)} || ${era(ref, "TIMESTAMP '0001-01-01 00:00:00'")}`);
    case 'timestamptz': {
      const utc = `(${ref} AT TIME ZONE 'UTC')`;
      return finiteOr(ref, `${withPrecision(`to_char(${utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`, column.datetimePrecision)} || '+00:00' || ${era(utc, "TIMESTAMP '0001-01-01 00:00:00'")}`);
    }
    case 'binary':
      return `replace(encode(${ref}, 'base64'), chr(10), '')`;
    case 'string':
      return RAW_TEXT.has(column.dataType) ? ref : `${ref}::text`;
  }
}
