import { PermanentError, type Change, type SyncRow } from '@goldpdv/core';
import type { ServedColumn, ServedTable } from '../served-table.js';

/**
 * The page queries of both dialects return the same shape: key values as k0..kN and row values as c0..cN,
 * each already in its wire form (see column-values.*.ts), plus a few sync_* columns. Positional aliases keep
 * the SQL independent of column names, which may be anything a table has, sync_version included.
 */
export const keyAlias = (index: number): string => `k${index}`;
export const columnAlias = (index: number): string => `c${index}`;

/** A row of a page query, as the driver returns it. */
export type PageRow = Record<string, unknown>;

/**
 * A float the JSON number cannot carry exactly travels as a string (core's changes-contract.ts): "-0", because
 * JSON.stringify(-0) is "0"; "NaN", "Infinity", "-Infinity", because JSON has no form for them and
 * JSON.stringify writes null. Both drivers hand floats as JS numbers, these included.
 */
function floatValue(value: number): number | string {
  if (Object.is(value, -0)) return '-0';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

function wireValue(value: unknown, column: ServedColumn): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return column.type === 'float' ? floatValue(value) : value;
  // A driver handing back another shape (a Buffer, a bigint) would mean a column read without its conversion.
  throw new PermanentError(`column ${column.name} (${column.dataType}) came back as ${typeof value}, not in its wire form`, {
    context: { column: column.name, dataType: column.dataType },
  });
}

export function keyOf(row: PageRow, table: ServedTable): SyncRow {
  const key: SyncRow = {};
  table.keys.forEach((column, index) => (key[column.name] = wireValue(row[keyAlias(index)], column)));
  return key;
}

/** The key by the central key columns' names, for a cursor (cursor.ts cursorKeyNames). */
export function sourceKeyOf(row: PageRow, table: ServedTable): SyncRow {
  const key: SyncRow = {};
  table.keys.forEach((column, index) => (key[column.source] = wireValue(row[keyAlias(index)], column)));
  return key;
}

export function rowOf(row: PageRow, table: ServedTable): SyncRow {
  const values: SyncRow = {};
  table.columns.forEach((column, index) => (values[column.name] = wireValue(row[columnAlias(index)], column)));
  return values;
}

/** A change row: sync_version, sync_gone (the base row is missing or filtered away), keys and values. */
export function changeOf(row: PageRow, table: ServedTable): Change {
  const version = String(row.sync_version);
  const key = keyOf(row, table);
  const gone = row.sync_gone === true || row.sync_gone === 1;
  return gone ? { op: 'delete', version, key } : { op: 'upsert', version, key, row: rowOf(row, table) };
}
