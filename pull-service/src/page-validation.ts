import { ContractError, type ChangesPage, type ColumnDescription, type SnapshotPage, type SyncRow } from '@goldpdv/core';
import { describeKey, type CheckedPage, type PageItem } from './page-items.js';
import type { ColumnPlan, TablePlan } from './table-plan.js';

/**
 * What the zod contract cannot know: that the page is for the table asked, that every column it carries maps
 * to a local column, that every key is complete and every upsert row is whole (a missing column would write
 * NULL over local data). Anything else is a ContractError naming the table and, where known, the key and column.
 */
export function checkChangesPage(plan: TablePlan, page: ChangesPage, since: string): CheckedPage {
  const columns = checkHeader(plan, page.table, page.keyColumns, page.columns);
  if (page.sinceVersion !== since) fail(plan, `the page starts at version ${page.sinceVersion}, not at the checkpoint ${since}`);
  if (BigInt(page.toVersion) < BigInt(since)) fail(plan, `the page ends at version ${page.toVersion}, before its start ${since}`);
  if (page.hasMore && page.nextCursor === null) fail(plan, 'the page says hasMore but carries no nextCursor');
  const seen = new Set<string>();
  const items = page.changes.map((change, index): PageItem => {
    const where = `changes[${index}]`;
    const key = checkKey(plan, change.key, where);
    const text = describeKey(key);
    if (seen.has(text)) fail(plan, `${where}: key ${text} appears twice in the page`, { key: text });
    seen.add(text);
    // Change Tracking windows are (since, to], transaction-id windows on PostgreSQL [since, to): both fit here.
    const version = BigInt(change.version);
    if (version < BigInt(since) || version > BigInt(page.toVersion)) {
      fail(plan, `${where}: version ${change.version} is outside the page's window ${since}..${page.toVersion}`, { key: text });
    }
    if (change.op === 'delete') return { op: 'delete', key, version: change.version };
    checkRow(plan, columns, change.row, key, where);
    return { op: 'upsert', key, row: change.row, version: change.version };
  });
  return { columns, items };
}

export function checkSnapshotPage(plan: TablePlan, page: SnapshotPage, snapshotVersion: string | null): CheckedPage {
  const columns = checkHeader(plan, page.table, page.keyColumns, page.columns);
  if (snapshotVersion !== null && page.snapshotVersion !== snapshotVersion) {
    fail(plan, `the snapshot page is of version ${page.snapshotVersion}, while the snapshot under way is of version ${snapshotVersion}`);
  }
  if (page.hasMore && page.nextCursor === null) fail(plan, 'the snapshot page says hasMore but carries no nextCursor');
  const items = page.rows.map((row, index): PageItem => {
    const where = `rows[${index}]`;
    const key = checkKey(plan, Object.fromEntries(plan.keyColumns.map((column) => [column.central, row[column.central]!])), where);
    checkRow(plan, columns, row, key, where);
    return { op: 'upsert', key, row, version: page.snapshotVersion };
  });
  return { columns, items };
}

function checkHeader(plan: TablePlan, table: string, keyColumns: readonly string[], described: readonly ColumnDescription[]): ColumnPlan[] {
  if (table !== plan.table) fail(plan, `asked for table ${plan.table}, the central API answered with a page of table ${JSON.stringify(table)}`);
  const expectedKey = plan.keyColumns.map((column) => column.central);
  if (keyColumns.length !== expectedKey.length || keyColumns.some((name) => !expectedKey.includes(name))) {
    fail(plan, `the page's key columns (${keyColumns.join(', ')}) are not the mapped key (${expectedKey.join(', ')})`);
  }
  const names = new Set<string>();
  const columns = described.map((description) => {
    if (names.has(description.name)) fail(plan, `column "${description.name}" is described twice`, { column: description.name });
    names.add(description.name);
    const column = plan.columns.get(description.name);
    if (!column) {
      fail(plan, `column ${JSON.stringify(description.name)} is not in the mapping: local table "${plan.localTable}" has no column it maps to`, { column: description.name });
    }
    if (column.local.family === null) {
      fail(plan, `column "${description.name}" fills local column "${column.local.name}" of type ${column.local.dataType}, which cannot be pulled`, { column: description.name });
    }
    if ((description.type === 'binary') !== (column.local.family === 'binary')) {
      fail(plan, `column "${description.name}" is ${description.type} centrally but ${column.local.dataType} locally; base64 would be stored as text or text decoded as base64`, { column: description.name });
    }
    return column;
  });
  const missingKey = expectedKey.find((name) => !names.has(name));
  if (missingKey !== undefined) fail(plan, `key column "${missingKey}" is not among the page's columns`, { column: missingKey });
  return columns;
}

function checkKey(plan: TablePlan, key: SyncRow, where: string): SyncRow {
  const ordered: SyncRow = {};
  for (const column of plan.keyColumns) {
    const value = key[column.central];
    if (value === undefined || value === null) fail(plan, `${where}: key column "${column.central}" is missing`, { column: column.central, key: JSON.stringify(key) });
    ordered[column.central] = value;
  }
  if (Object.keys(key).length !== plan.keyColumns.length) {
    const extra = Object.keys(key).find((name) => !(name in ordered));
    fail(plan, `${where}: the key has an unexpected column ${JSON.stringify(extra)}`, { column: extra, key: describeKey(ordered) });
  }
  return ordered;
}

function checkRow(plan: TablePlan, columns: readonly ColumnPlan[], row: SyncRow, key: SyncRow, where: string): void {
  const keyText = describeKey(key);
  for (const column of columns) {
    if (!(column.central in row)) fail(plan, `${where} (key ${keyText}): the row has no value for column "${column.central}"`, { key: keyText, column: column.central });
  }
  if (Object.keys(row).length !== columns.length) {
    const extra = Object.keys(row).find((name) => !columns.some((column) => column.central === name));
    fail(plan, `${where} (key ${keyText}): column ${JSON.stringify(extra)} is not in the mapping nor among the page's columns`, { key: keyText, column: extra });
  }
  for (const column of plan.keyColumns) {
    if (row[column.central] !== key[column.central]) fail(plan, `${where} (key ${keyText}): the row's "${column.central}" differs from its key`, { key: keyText, column: column.central });
  }
}

function fail(plan: TablePlan, message: string, context: Record<string, unknown> = {}): never {
  throw new ContractError(`table ${plan.table}: ${message}`, { context: { table: plan.table, ...context } });
}
