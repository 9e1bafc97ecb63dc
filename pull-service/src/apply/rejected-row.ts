import { describeDriverError, driverErrorFacts, type DriverErrorFacts } from '@goldpdv/core';
import { describeKey, type PageItem } from '../api/page-checks.js';
import type { RejectedRow } from '../db/rejected-row-store.js';
import type { ColumnPlan, TablePlan } from '../plan/table-plan.js';
import { characterLength, valueFits } from '../plan/value-checks.js';

/** The row's record for sync_rejected_row and the logs: the driver's reason and, where it can be told, the column. */
export function describeRejection(plan: TablePlan, columns: readonly ColumnPlan[], item: PageItem, error: unknown): RejectedRow {
  // Whole here, for the log line; the store bounds what it keeps.
  const reason = describeDriverError(error, Number.POSITIVE_INFINITY);
  const column = rejectedColumn(plan, columns, item, driverErrorFacts(error));
  return {
    table: plan.table,
    key: describeKey(item.key),
    column: column?.central ?? null,
    reason: column && column.central !== column.local.name ? `${reason} [local column ${column.local.name}]` : reason,
    rowData: item.op === 'upsert' ? JSON.stringify(item.row) : null,
    version: item.version,
  };
}

/**
 * Which column made the row fail: from the driver's own column field where there is one, else from the
 * message (a named column, a length limit, a quoted value), else the first value that cannot fit its column.
 */
function rejectedColumn(plan: TablePlan, columns: readonly ColumnPlan[], item: PageItem, facts: DriverErrorFacts): ColumnPlan | null {
  const candidates = columns.length > 0 ? columns : plan.keyColumns;
  const byLocalName = (name: string | undefined) =>
    name === undefined ? null : (candidates.find((column) => column.local.name.toLowerCase() === name.trim().replace(/^"|"$/g, '').toLowerCase()) ?? null);
  if (facts.column) return byLocalName(facts.column);
  const foreignKey = /Key \(([^)]+)\)=/.exec(facts.detail ?? '');
  if (foreignKey) return byLocalName(foreignKey[1]!.split(',')[0]);
  const named = /column '([^']+)'/i.exec(facts.message);
  if (named && byLocalName(named[1])) return byLocalName(named[1]);
  if (item.op !== 'upsert') return null;
  const row = item.row;
  const tooLong = /value too long for type character(?: varying)?\((\d+)\)/.exec(facts.message);
  if (tooLong || /truncated/i.test(facts.message)) {
    const limit = tooLong ? Number(tooLong[1]) : null;
    const found = candidates.find((column) => {
      const value = row[column.central];
      const max = column.local.maxLength;
      return typeof value === 'string' && max !== null && (limit === null || max === limit) && characterLength(value) > max;
    });
    if (found) return found;
  }
  const quoted = /: "(.*)"$/s.exec(facts.message) ?? /value '(.*)' to data type/s.exec(facts.message);
  if (quoted) {
    const found = candidates.find((column) => row[column.central] !== null && String(row[column.central]) === quoted[1] && !valueFits(column.local, row[column.central]));
    if (found) return found;
  }
  return candidates.find((column) => !valueFits(column.local, row[column.central])) ?? null;
}
