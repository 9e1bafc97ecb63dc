import type { ColumnType } from '@goldpdv/core';
import type { LocalColumn } from '../db/local-schema.js';

/**
 * Whether a wire value can fill a column, judged in JS. Used only to name the column of a row the database
 * refused when its error message does not say which one (e.g. "invalid input syntax for type uuid"); the
 * database stays the judge of what is stored.
 */
const PATTERNS: Partial<Record<ColumnType, RegExp>> = {
  int: /^-?\d+$/,
  bigint: /^-?\d+$/,
  decimal: /^-?(\d+(\.\d*)?|\.\d+)$/,
  // The contract's edge forms (changes-contract.ts): infinity, -infinity and a " BC" era suffix, which a
  // PostgreSQL column holds; sqlServerRefusal says why a SQL Server one cannot.
  date: /^(?:\d{4}-\d{2}-\d{2}(?: BC)?|-?infinity)$/,
  time: /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:?\d{2})?|Z)?$/,
  timestamp: /^(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(?: BC)?|-?infinity)$/,
  timestamptz: /^(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:?\d{2})?|Z)(?: BC)?|-?infinity)$/i,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  binary: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
};

export function valueFits(column: LocalColumn, value: unknown): boolean {
  if (value === null) return column.nullable;
  const type = column.type;
  if (type === null) return false;
  // A json column has no maxLength: any string may be tried, and the database judges the document.
  if (type === 'string') return column.maxLength === null || characterLength(String(value)) <= column.maxLength;
  if (type === 'bool') return typeof value === 'boolean' || /^(true|false|0|1)$/i.test(String(value));
  if (type === 'float') return FLOAT_WORDS.has(String(value)) || (value !== '' && Number.isFinite(Number(value)));
  const pattern = PATTERNS[type];
  if (pattern && !pattern.test(String(value))) return false;
  if (type === 'decimal' && column.precision !== null && column.scale !== null) return integerDigits(String(value)) <= column.precision - column.scale;
  return true;
}

/** The contract's forms of the floats JSON cannot carry as numbers. */
const FLOAT_WORDS: ReadonlySet<string> = new Set(['-0', 'NaN', 'Infinity', '-Infinity']);

/**
 * Why a SQL Server column cannot hold a wire value exactly, or null when it can: float has no NaN nor infinities
 * and keeps no negative zero, time ends at 23:59:59.9999999, and date, datetime2 and datetimeoffset have no
 * infinity and no year before 1. PostgreSQL holds all of them.
 */
export function sqlServerRefusal(column: LocalColumn, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'number' && Object.is(value, -0) ? '-0' : String(value);
  switch (column.type) {
    case 'float':
      return FLOAT_WORDS.has(text) ? `SQL Server's ${column.dataType} cannot hold ${JSON.stringify(text)} (no NaN, no infinities, no negative zero)` : null;
    case 'time':
      return /^24:/.test(text) ? `SQL Server's time cannot hold ${JSON.stringify(text)} (its day ends at 23:59:59.9999999)` : null;
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      if (/^-?infinity$/i.test(text)) return `SQL Server's ${column.dataType} cannot hold ${JSON.stringify(text)} (no infinite dates)`;
      return / BC$/i.test(text) ? `SQL Server's ${column.dataType} cannot hold ${JSON.stringify(text)} (no year before 1)` : null;
    default:
      return null;
  }
}

/** Characters as both databases count them for varchar/nvarchar limits: code points, not UTF-16 units. */
export function characterLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

export function integerDigits(decimal: string): number {
  const digits = decimal.replace(/^-/, '').split('.')[0]!.replace(/^0+/, '');
  return digits.length;
}
