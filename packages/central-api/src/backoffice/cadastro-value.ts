import type { CatalogColumn } from './backoffice-store.js';
import { checkDecimal } from './decimal-value.js';

/** A value checked against its column's catalog type, ready to be sent as a parameter; or why it does not fit. */
export type ValueCheck = { ok: true; value: string | number | boolean | null } | { ok: false; reason: string };

const INTEGER_RANGES: Record<string, [number, number]> = {
  tinyint: [0, 255],
  smallint: [-32_768, 32_767],
  int: [-2_147_483_648, 2_147_483_647],
  integer: [-2_147_483_648, 2_147_483_647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const TEXT_TYPES = new Set(['varchar', 'nvarchar', 'char', 'nchar', 'character varying', 'character', 'text']);
const BOOLEAN_TYPES = new Set(['boolean', 'bit']);
const DECIMAL_TYPES = new Set(['numeric', 'decimal', 'money']);
const LOCAL_TIMESTAMP_TYPES = new Set(['timestamp without time zone', 'datetime2', 'datetime']);
const OFFSET_TIMESTAMP_TYPES = new Set(['timestamp with time zone', 'datetimeoffset']);
const TIME_TYPES = new Set(['time without time zone', 'time']);
const UUID_TYPES = new Set(['uuid', 'uniqueidentifier']);

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$/;
const LOCAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$/;
const OFFSET_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True when the column's type is one the back office can write (others are refused when declared). */
export function isWritableType(dataType: string): boolean {
  return (
    dataType in INTEGER_RANGES || TEXT_TYPES.has(dataType) || BOOLEAN_TYPES.has(dataType) || DECIMAL_TYPES.has(dataType) || dataType === 'date' ||
    LOCAL_TIMESTAMP_TYPES.has(dataType) || OFFSET_TIMESTAMP_TYPES.has(dataType) || TIME_TYPES.has(dataType) || UUID_TYPES.has(dataType)
  );
}

const validDate = (text: string): boolean => {
  const date = new Date(`${text.slice(0, 10)}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text.slice(0, 10);
};

/** Checks `value` against the column as the catalog describes it; the reason reads after the column's name. */
export function checkValue(column: CatalogColumn, value: unknown): ValueCheck {
  const type = column.dataType;
  if (value === null) return column.nullable ? { ok: true, value: null } : { ok: false, reason: 'must not be null' };
  const range = INTEGER_RANGES[type];
  if (range !== undefined) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return { ok: false, reason: `must be an integer (${type})` };
    if (value < range[0] || value > range[1]) return { ok: false, reason: `is out of the range of ${type}` };
    return { ok: true, value };
  }
  if (DECIMAL_TYPES.has(type)) {
    const precision = column.precision ?? 19;
    const scale = column.scale ?? 4;
    const decimal = checkDecimal(value, precision, scale);
    return decimal.ok ? { ok: true, value: decimal.text } : { ok: false, reason: `${decimal.reason} (${type}(${precision},${scale}))` };
  }
  if (TEXT_TYPES.has(type)) {
    if (typeof value !== 'string') return { ok: false, reason: `must be a string (${type})` };
    // -1 is SQL Server's (max); null is PostgreSQL's unbounded text.
    if (column.maxLength !== null && column.maxLength > 0 && [...value].length > column.maxLength) {
      return { ok: false, reason: `is longer than ${column.maxLength} characters` };
    }
    return { ok: true, value };
  }
  if (BOOLEAN_TYPES.has(type)) return typeof value === 'boolean' ? { ok: true, value } : { ok: false, reason: 'must be true or false' };
  if (typeof value !== 'string') return { ok: false, reason: `must be a string (${type})` };
  if (type === 'date') return DATE.test(value) && validDate(value) ? { ok: true, value } : { ok: false, reason: 'must be a date YYYY-MM-DD' };
  if (LOCAL_TIMESTAMP_TYPES.has(type)) {
    return LOCAL_TIMESTAMP.test(value) && validDate(value) ? { ok: true, value } : { ok: false, reason: 'must be a date and time YYYY-MM-DDTHH:MM:SS[.ffffff], without offset' };
  }
  if (OFFSET_TIMESTAMP_TYPES.has(type)) {
    return OFFSET_TIMESTAMP.test(value) && validDate(value) ? { ok: true, value } : { ok: false, reason: 'must be a date and time with its offset, YYYY-MM-DDTHH:MM:SS[.ffffff]±HH:MM or Z' };
  }
  if (TIME_TYPES.has(type)) return TIME.test(value) ? { ok: true, value } : { ok: false, reason: 'must be a time HH:MM:SS' };
  if (UUID_TYPES.has(type)) return UUID.test(value) ? { ok: true, value } : { ok: false, reason: 'must be a UUID' };
  return { ok: false, reason: `has type ${type}, which the back office cannot write` };
}
