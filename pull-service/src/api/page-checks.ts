import { createHash } from 'node:crypto';
import { ContractError, type ChangesPage, type ColumnDescription, type SnapshotPage, type SyncRow } from '@goldpdv/core';
import type { AppliedColumns } from '../db/checkpoint-store.js';
import type { ColumnPlan, TablePlan } from '../plan/table-plan.js';

/** One row of a page, once checked against the contract and the mapping. Keys and rows use central names. */
export type PageItem =
  | { op: 'upsert'; key: SyncRow; row: SyncRow; version: string | null }
  | { op: 'delete'; key: SyncRow; version: string | null };

/** What the apply step needs of a page: which columns its rows carry, and the rows. */
export interface CheckedPage {
  /** The columns written: the page's mapped columns, then the mapping's constants for the local columns they leave out. */
  columns: readonly ColumnPlan[];
  /** Rows hold the written columns only: ignored ones taken out, constants put in. */
  items: readonly PageItem[];
  /** What the checkpoint keeps of the columns: the fingerprint of what is applied, and what is ignored. */
  applied: AppliedColumns;
}

/** The central name a constant travels under inside pull-service (never a central column: no contract name starts with #). */
const CONSTANT_PREFIX = '#constant:';

/** A page's columns as checked: those applied, the constants added, the central ones ignored. */
interface PageColumns {
  written: ColumnPlan[];
  constants: { column: ColumnPlan; value: string | number | boolean }[];
  ignored: string[];
  applied: AppliedColumns;
}

/** The key as stored in sync_rejected_row and shown in logs: compact JSON in key-column order. */
export function describeKey(key: SyncRow): string {
  return JSON.stringify(key);
}

/**
 * What the zod contract cannot know: that the page is for the table asked, that every column it carries maps
 * to a local column, that every key is complete and every upsert row is whole (a missing column would write
 * NULL over local data). Anything else is a ContractError naming the table and, where known, the key and column.
 *
 * `windowEnd`: where the window ends when the page is a later page of it (the checkpoint holds a cursor); such a
 * page must end there too, since moving the checkpoint past the window's end would pass over the changes after it.
 */
export function checkChangesPage(plan: TablePlan, page: ChangesPage, since: string, windowEnd: string | null = null): CheckedPage {
  const columns = checkHeader(plan, page.table, page.keyColumns, page.columns);
  const shape = rowShaper(columns);
  if (page.sinceVersion !== since) fail(plan, `the page starts at version ${page.sinceVersion}, not at the checkpoint ${since}`);
  if (windowEnd !== null && page.toVersion !== windowEnd) fail(plan, `a later page of the window ${since}..${windowEnd} ends at version ${page.toVersion}`);
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
    checkRow(plan, page.columns, change.row, key, where);
    return { op: 'upsert', key, row: shape(change.row), version: change.version };
  });
  return { columns: [...columns.written, ...columns.constants.map((constant) => constant.column)], items, applied: columns.applied };
}

export function checkSnapshotPage(plan: TablePlan, page: SnapshotPage, snapshotVersion: string | null): CheckedPage {
  const columns = checkHeader(plan, page.table, page.keyColumns, page.columns);
  const shape = rowShaper(columns);
  if (snapshotVersion !== null && page.snapshotVersion !== snapshotVersion) {
    fail(plan, `the snapshot page is of version ${page.snapshotVersion}, while the snapshot under way is of version ${snapshotVersion}`);
  }
  if (page.hasMore && page.nextCursor === null) fail(plan, 'the snapshot page says hasMore but carries no nextCursor');
  const items = page.rows.map((row, index): PageItem => {
    const where = `rows[${index}]`;
    const key = checkKey(plan, Object.fromEntries(plan.keyColumns.map((column) => [column.central, row[column.central]!])), where);
    checkRow(plan, page.columns, row, key, where);
    return { op: 'upsert', key, row: shape(row), version: page.snapshotVersion };
  });
  return { columns: [...columns.written, ...columns.constants.map((constant) => constant.column)], items, applied: columns.applied };
}

/** Takes the ignored columns out of a row and puts the constants in; the row as it came when there is neither. */
function rowShaper(columns: PageColumns): (row: SyncRow) => SyncRow {
  if (columns.ignored.length === 0 && columns.constants.length === 0) return (row) => row;
  return (row) => {
    const shaped: SyncRow = {};
    for (const column of columns.written) shaped[column.central] = row[column.central]!;
    for (const constant of columns.constants) shaped[constant.column.central] = constant.value;
    return shaped;
  };
}

/**
 * The page's columns against the plan. A central column that no local column maps to is ignored (schema drift:
 * a column added centrally stops no PDV; the checkpoint keeps the list for `status`). A local NOT NULL column
 * without a default that no page column fills takes the mapping's constant, or the table cannot take rows.
 */
function checkHeader(plan: TablePlan, table: string, keyColumns: readonly string[], described: readonly ColumnDescription[]): PageColumns {
  if (table !== plan.table) fail(plan, `asked for table ${plan.table}, the central API answered with a page of table ${JSON.stringify(table)}`);
  const expectedKey = plan.keyColumns.map((column) => column.central);
  if (keyColumns.length !== expectedKey.length || keyColumns.some((name) => !expectedKey.includes(name))) {
    fail(plan, `the page's key columns (${keyColumns.join(', ')}) are not the mapped key (${expectedKey.join(', ')})`);
  }
  const names = new Set<string>();
  const written: ColumnPlan[] = [];
  const ignored: string[] = [];
  const types: string[] = [];
  for (const description of described) {
    if (names.has(description.name)) fail(plan, `column "${description.name}" is described twice`, { column: description.name });
    names.add(description.name);
    const column = plan.columns.get(description.name);
    if (!column) {
      ignored.push(description.name);
      continue;
    }
    if (column.local.type === null) {
      fail(plan, `column "${description.name}" fills local column "${column.local.name}" of type ${column.local.dataType}, which cannot be pulled`, { column: description.name });
    }
    if ((description.type === 'binary') !== (column.local.type === 'binary')) {
      fail(plan, `column "${description.name}" is ${description.type} centrally but ${column.local.dataType} locally; base64 would be stored as text or text decoded as base64`, { column: description.name });
    }
    written.push(column);
    types.push(JSON.stringify([description.name, description.type, column.local.name, column.local.dataType]));
  }
  const missingKey = expectedKey.find((name) => !names.has(name));
  if (missingKey !== undefined) fail(plan, `key column "${missingKey}" is not among the page's columns`, { column: missingKey });
  const filled = new Set(written.map((column) => column.local.name));
  const constants: PageColumns['constants'] = [];
  for (const required of plan.required) {
    if (filled.has(required.local.name)) continue;
    if (required.constant === null) {
      fail(
        plan,
        `local column "${required.local.name}" of "${plan.localTable}" is NOT NULL without a default, and no column the central API sends fills it: ` +
          `give it a DEFAULT, map a central column to it (columns), or give it a value in the mapping (constants: {"${required.local.name}": ...})`,
        { column: required.local.name },
      );
    }
    constants.push({ column: { central: `${CONSTANT_PREFIX}${required.local.name}`, local: required.local }, value: required.constant });
    types.push(JSON.stringify([CONSTANT_PREFIX, required.constant, required.local.name, required.local.dataType]));
  }
  return { written, constants, ignored, applied: { fingerprint: columnsFingerprint(types), ignored: ignored.length === 0 ? null : ignored.join(', ') } };
}

/** The same for the same set of (central column, type -> local column, type), in any order. */
function columnsFingerprint(entries: readonly string[]): string {
  return createHash('sha256').update([...entries].sort().join('\n')).digest('hex').slice(0, 32);
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

/** Every column the page describes is in the row, and nothing else (ignored columns are taken out afterwards). */
function checkRow(plan: TablePlan, described: readonly ColumnDescription[], row: SyncRow, key: SyncRow, where: string): void {
  const keyText = describeKey(key);
  for (const column of described) {
    if (!(column.name in row)) fail(plan, `${where} (key ${keyText}): the row has no value for column "${column.name}"`, { key: keyText, column: column.name });
  }
  if (Object.keys(row).length !== described.length) {
    const extra = Object.keys(row).find((name) => !described.some((column) => column.name === name));
    fail(plan, `${where} (key ${keyText}): column ${JSON.stringify(extra)} is not among the page's columns`, { key: keyText, column: extra });
  }
  for (const column of plan.keyColumns) {
    if (row[column.central] !== key[column.central]) fail(plan, `${where} (key ${keyText}): the row's "${column.central}" differs from its key`, { key: keyText, column: column.central });
  }
}

function fail(plan: TablePlan, message: string, context: Record<string, unknown> = {}): never {
  throw new ContractError(`table ${plan.table}: ${message}`, { context: { table: plan.table, ...context } });
}
