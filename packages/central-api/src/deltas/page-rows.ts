import type { Change, SyncRow } from '@goldpdv/core';
import type { ServedColumn, ServedTable } from './served-table.js';

/**
 * The page queries of both dialects return the same shape: key values as k0..kN and row values as c0..cN,
 * each already in its wire form (see column-values.*.ts), plus a few sync_* columns. Positional aliases keep
 * the SQL independent of column names, which may be anything a table has, sync_version included.
 */
export const keyAlias = (index: number): string => `k${index}`;
export const columnAlias = (index: number): string => `c${index}`;

type DbRow = Record<string, unknown>;

function wireValue(value: unknown, column: ServedColumn): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  // A driver handing back another shape (a Buffer, a bigint) would mean a column read without its conversion.
  throw new Error(`column ${column.name} (${column.dataType}) came back as ${typeof value}, not in its wire form`);
}

export function keyOf(row: DbRow, table: ServedTable): SyncRow {
  const key: SyncRow = {};
  table.keys.forEach((column, index) => (key[column.name] = wireValue(row[keyAlias(index)], column)));
  return key;
}

export function rowOf(row: DbRow, table: ServedTable): SyncRow {
  const values: SyncRow = {};
  table.columns.forEach((column, index) => (values[column.name] = wireValue(row[columnAlias(index)], column)));
  return values;
}

/** A change row: sync_version, sync_gone (the base row is missing or filtered away), keys and values. */
export function changeOf(row: DbRow, table: ServedTable): Change {
  const version = String(row.sync_version);
  const key = keyOf(row, table);
  const gone = row.sync_gone === true || row.sync_gone === 1;
  return gone ? { op: 'delete', version, key } : { op: 'upsert', version, key, row: rowOf(row, table) };
}
