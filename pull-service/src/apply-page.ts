import { isTransientError, type Database, type Queryable, type SyncRow } from '@goldpdv/core';
import { applyItems, type PageWrite } from './apply-items.js';
import { recordRejectedRows, recordTableError } from './checkpoint-store.js';
import type { RejectPolicy } from './config.js';
import { isolateFailedItems } from './isolate-rows.js';
import type { PageItem } from './page-items.js';
import { describeRejection, driverFacts, isForeignKeyViolation, type RejectedRow } from './rejected-row.js';
import type { TablePlan } from './table-plan.js';
import type { TableSql } from './table-sql.js';

export interface PageApplication {
  db: Database;
  plan: TablePlan;
  sql: TableSql;
  write: PageWrite;
  policy: RejectPolicy;
  /** A foreign key violation may only mean a parent row has not been pulled yet: wait instead of rejecting. */
  mayWaitForParents: boolean;
  /** Runs first, in the page's transaction (a snapshot page checks its key order there). */
  prepare?: (tx: Queryable) => Promise<void>;
  /** Moves the checkpoint, with the table's pending deletes after the page, in the page's transaction. */
  advance: (tx: Queryable, rowsApplied: number, pendingDeletes: SyncRow[]) => Promise<void>;
}

export type PageOutcome =
  /** The page is in and the checkpoint moved; under skip-row, `rejected` rows were recorded and left out. */
  | { kind: 'applied'; applied: number; rejected: RejectedRow[] }
  /** stop-table: the good rows are in, the bad ones recorded, and the checkpoint did not move. */
  | { kind: 'held'; applied: number; rejected: RejectedRow[]; reason: string }
  /** Nothing applied: rows refer to parents not pulled yet. */
  | { kind: 'waiting'; reason: string }
  /** Nothing applied: the fault is the table's, not a row's (preparation, checkpoint, every row failing). */
  | { kind: 'failed'; reason: string; error: unknown };

/** Wraps failures of the steps around the rows, so they are never mistaken for a bad row. */
class StepFailure extends Error {
  constructor(readonly error: unknown) {
    super(errorText(error));
  }
}

const step = async (work: () => Promise<void>): Promise<void> => {
  try {
    await work();
  } catch (error) {
    throw new StepFailure(error);
  }
};

/**
 * Applies one page and moves the checkpoint in one local transaction. When the database refuses the page, the
 * refused rows are isolated (isolate-rows.ts), recorded in sync_rejected_row with table, key, column and
 * reason, and the rest is applied; PULL_REJECT_POLICY then says whether the checkpoint moves past them
 * (skip-row) or stays (stop-table). Nothing is dropped without a record. Transient errors go up unchanged.
 */
export async function applyPage(app: PageApplication): Promise<PageOutcome> {
  const run = async (tx: Queryable, items: readonly PageItem[]): Promise<SyncRow[]> => {
    if (app.prepare) await step(() => app.prepare!(tx));
    return applyItems(tx, app.sql, app.write, items);
  };
  const items = app.write.page.items;
  try {
    await app.db.transaction(async (tx) => {
      const pending = await run(tx, items);
      await step(() => app.advance(tx, items.length, pending));
    });
    return { kind: 'applied', applied: items.length, rejected: [] };
  } catch (error) {
    return await recoverFromFailure(app, error, run);
  }
}

async function recoverFromFailure(app: PageApplication, error: unknown, run: (tx: Queryable, items: readonly PageItem[]) => Promise<SyncRow[]>): Promise<PageOutcome> {
  const { plan } = app;
  const page = app.write.page;
  const asTableFailure = (failure: unknown, prefix = ''): PageOutcome => {
    const inner = failure instanceof StepFailure ? failure.error : failure;
    if (isTransientError(inner)) throw inner;
    return { kind: 'failed', reason: `${prefix}${errorText(inner)}`, error: inner };
  };
  if (error instanceof StepFailure || isTransientError(error)) return asTableFailure(error);
  if (isForeignKeyViolation(error) && app.mayWaitForParents) {
    return { kind: 'waiting', reason: `rows refer to rows not pulled yet: ${errorText(error)}` };
  }

  let failed;
  try {
    failed = await isolateFailedItems(app.db, page.items, async (tx, piece) => {
      await run(tx, piece);
    });
  } catch (isolationError) {
    return asTableFailure(isolationError);
  }
  if (failed.length === 0) return asTableFailure(error, 'the page fails as a whole although each of its rows applies alone: ');
  if (failed.length === page.items.length && page.items.length > 1) {
    return asTableFailure(failed[0]!.error, `every row of the page fails (${page.items.length}), which points at the table rather than the rows: `);
  }

  const rejected = failed.map((f) => describeRejection(plan, page.columns, f.item, f.error));
  const refused = new Set(failed.map((f) => f.item));
  const good = page.items.filter((item) => !refused.has(item));
  const first = rejected[0]!;
  const reason = `${rejected.length} row(s) refused; first: key ${first.key}${first.column ? ` column ${first.column}` : ''}: ${first.reason}`;
  try {
    await app.db.transaction(async (tx) => {
      const pending = await run(tx, good);
      await recordRejectedRows(tx, rejected);
      // Held pages come again whole, tombstones included, so their pending deletes need not be kept yet.
      if (app.policy === 'skip-row') await step(() => app.advance(tx, good.length, pending));
      else await recordTableError(tx, plan.table, `stop-table: ${reason}`);
    });
  } catch (finalError) {
    return asTableFailure(finalError, 'the rows left after isolating the refused ones still fail together: ');
  }
  return app.policy === 'skip-row' ? { kind: 'applied', applied: good.length, rejected } : { kind: 'held', applied: good.length, rejected, reason };
}

export function errorText(error: unknown): string {
  const facts = driverFacts(error);
  const text = `${facts.code ? `${facts.code} ` : ''}${facts.message}${facts.detail ? ` (${facts.detail})` : ''}`;
  return text.slice(0, 1_000);
}
