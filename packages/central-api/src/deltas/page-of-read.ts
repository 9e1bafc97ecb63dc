import type { ChangesPage } from '@goldpdv/core';
import { markShared } from '../http/json-parts.js';
import { encodeCursor } from './cursor.js';
import type { ChangesRead } from './db/delta-store.js';
import type { ServedTable } from './served-table.js';

const columnLists = new WeakMap<ServedTable, ChangesPage['columns']>();

/**
 * The table's column list as pages describe it: one array per table, which every page shares (page-json.ts),
 * frozen so that no caller can change it under every other answer.
 */
export function describeColumns(table: ServedTable): ChangesPage['columns'] {
  let columns = columnLists.get(table);
  if (columns === undefined) {
    columns = Object.freeze(table.columns.map(({ name, type }) => Object.freeze({ name, type }))) as ChangesPage['columns'];
    markShared(columns);
    columnLists.set(table, columns);
  }
  return columns;
}

/** The loja a snapshot of this table was filtered for, as a Sync-Token records it: null when it has no filter. */
export const filterScope = (table: ServedTable, lojaId: number): number | null => (table.filter ? lojaId : null);

/** A changes page of a window's read, from the client's `since`. */
export function pageOfRead(table: ServedTable, since: bigint, read: ChangesRead): ChangesPage {
  // An empty window still moves the checkpoint up to the bound (never back): a quiet table then keeps its
  // clients above the minimum valid version as retention moves it.
  const to = BigInt(read.toVersion) > since ? read.toVersion : since.toString();
  return {
    table: table.name,
    sinceVersion: since.toString(),
    toVersion: to,
    keyColumns: [...table.keyColumns],
    columns: describeColumns(table),
    changes: read.changes,
    hasMore: read.hasMore,
    nextCursor: read.next ? encodeCursor(read.next) : null,
  };
}
