import type { SyncRow } from '@goldpdv/core';
import type { ColumnPlan } from './table-plan.js';

/** One row of a page, once checked against the contract and the mapping. Keys and rows use central names. */
export type PageItem =
  | { op: 'upsert'; key: SyncRow; row: SyncRow; version: string | null }
  | { op: 'delete'; key: SyncRow; version: string | null };

/** What the apply step needs of a page: which columns its rows carry, and the rows. */
export interface CheckedPage {
  columns: readonly ColumnPlan[];
  items: readonly PageItem[];
}

/** The key as stored in sync_rejected_row and shown in logs: compact JSON in key-column order. */
export function describeKey(key: SyncRow): string {
  return JSON.stringify(key);
}
