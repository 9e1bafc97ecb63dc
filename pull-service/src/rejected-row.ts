import { describeKey, type PageItem } from './page-items.js';
import type { ColumnPlan, TablePlan } from './table-plan.js';
import { characterLength, valueFits } from './value-checks.js';

/** A row the local database refused, as recorded in sync_rejected_row and logged. Names are central names. */
export interface RejectedRow {
  table: string;
  key: string;
  column: string | null;
  reason: string;
  rowData: string | null;
  version: string | null;
}

interface DriverFacts {
  code: string | null;
  message: string;
  detail: string | null;
  column: string | null;
}

/** What the driver says: PostgreSQL's code/detail/column fields, SQL Server's number and message. */
export function driverFacts(error: unknown): DriverFacts {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const shape = current as { code?: unknown; number?: unknown; message?: unknown; detail?: unknown; column?: unknown; cause?: unknown; originalError?: unknown };
    const code = typeof shape.number === 'number' ? String(shape.number) : typeof shape.code === 'string' && /^[0-9A-Z]{5}$/.test(shape.code) ? shape.code : null;
    if (code !== null) {
      return {
        code,
        message: String(shape.message ?? ''),
        detail: typeof shape.detail === 'string' ? shape.detail : null,
        column: typeof shape.column === 'string' ? shape.column : null,
      };
    }
    current = shape.originalError ?? shape.cause;
  }
  return { code: null, message: error instanceof Error ? error.message : String(error), detail: null, column: null };
}

/** A foreign key violation can mean "the parent has not been pulled yet" rather than a bad row. */
export function isForeignKeyViolation(error: unknown): boolean {
  const facts = driverFacts(error);
  return facts.code === '23503' || (facts.code === '547' && /FOREIGN KEY|REFERENCE/i.test(facts.message));
}

export function describeRejection(plan: TablePlan, columns: readonly ColumnPlan[], item: PageItem, error: unknown): RejectedRow {
  const facts = driverFacts(error);
  const reason = `${facts.code ? `${facts.code} ` : ''}${facts.message}${facts.detail ? ` (${facts.detail})` : ''}`;
  const column = rejectedColumn(plan, columns, item, facts);
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
function rejectedColumn(plan: TablePlan, columns: readonly ColumnPlan[], item: PageItem, facts: DriverFacts): ColumnPlan | null {
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
