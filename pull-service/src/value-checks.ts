import type { LocalColumn } from './local-schema.js';

/**
 * Whether a wire value can fill a column, judged in JS. Used only to name the column of a row the database
 * refused when its error message does not say which one (e.g. "invalid input syntax for type uuid"); the
 * database stays the judge of what is stored.
 */
const PATTERNS: Partial<Record<NonNullable<LocalColumn['family']>, RegExp>> = {
  int: /^-?\d+$/,
  decimal: /^-?(\d+(\.\d*)?|\.\d+)$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  time: /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:?\d{2})?|Z)?$/,
  timestamp: /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/,
  timestamptz: /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:?\d{2})?|Z)$/i,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  binary: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
};

export function valueFits(column: LocalColumn, value: unknown): boolean {
  if (value === null) return column.nullable;
  const family = column.family;
  if (family === null) return false;
  if (family === 'string') return column.maxLength === null || characterLength(String(value)) <= column.maxLength;
  if (family === 'bool') return typeof value === 'boolean' || /^(true|false|0|1)$/i.test(String(value));
  if (family === 'float') return Number.isFinite(Number(value));
  if (family === 'json') return true;
  const pattern = PATTERNS[family];
  if (pattern && !pattern.test(String(value))) return false;
  if (family === 'decimal' && column.precision !== null && column.scale !== null) return integerDigits(String(value)) <= column.precision - column.scale;
  return true;
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
