import type { Logger } from './logger.js';
import { ContractError, isTransientError, type Database } from '@goldpdv/core';
import type { CentralPullClient } from './central-pull-client.js';
import { CentralUnavailable } from './central-unavailable.js';
import type { CentralStatus } from './central-status.js';
import type { PagePrefetch } from './page-prefetch.js';
import { readCheckpoints, recordTableError, type Checkpoint } from './checkpoint-store.js';
import type { RejectPolicy } from './config.js';
import { pullDeltaPage } from './pull-delta-page.js';
import { pullSnapshotPage } from './reinitialise.js';
import type { RejectedRow } from './rejected-row.js';
import type { TablePlan } from './table-plan.js';
import type { TableSql } from './table-sql.js';
import type { TableStatusBoard } from './table-status.js';
import type { StepResult, TableContext } from './table-step.js';

/** A page that refers to missing parent rows waits this many rounds once its parents are idle, then is judged. */
const WAIT_PATIENCE = 3;
/** How long one table may keep pulling pages in a round before the next table's turn. */
const TABLE_SLICE_MS = 2_000;

export interface PullEngine {
  db: Database;
  client: CentralPullClient;
  prefetch: PagePrefetch;
  tables: readonly TablePlan[];
  sqlOf: (table: string) => TableSql;
  loggerOf: (table: string) => Logger;
  board: TableStatusBoard;
  central: CentralStatus;
  policy: RejectPolicy;
}

export interface RoundResult {
  /** Some table has more to fetch now: run the next round at once. */
  busy: boolean;
  /** Every table that was due found nothing to do; these are the ones a long-poll may wait on. */
  idle: { table: string; checkpoint: Checkpoint }[] | null;
}

/**
 * Tables in dependency order (parents first), each pulling pages while it has more, for up to TABLE_SLICE_MS,
 * so that parents are ahead of their children and a long backlog cannot starve the loop's heartbeat. Each
 * table's failure is its own: the others go on. Only local database failures end the round, by throwing, so
 * that the work loop reports the database and backs off.
 */
export async function runRound(engine: PullEngine, signal: AbortSignal): Promise<RoundResult> {
  const checkpoints = await readCheckpoints(engine.db);
  const moving = new Set<string>();
  const idle: { table: string; checkpoint: Checkpoint }[] = [];
  let allIdle = true;
  let busy = false;
  let centralAnswered = false;
  let centralUnavailable = false;

  tables: for (const plan of engine.tables) {
    if (signal.aborted) break;
    if (!engine.board.isDue(plan.table)) continue;
    let checkpoint = checkpoints.get(plan.table)!;
    const parentsBusy = plan.parents.some((parent) => moving.has(parent) || engine.board.isFailing(parent));
    const sliceEnds = Date.now() + TABLE_SLICE_MS;
    let result: StepResult;
    // A table with a backlog keeps the turn for a while: its parents went before it, and polling the idle
    // tables between each of its pages would cost more than the pages.
    for (;;) {
      engine.board.observe(plan.table, checkpoint.mode, checkpoint.pendingDeletes.length);
      try {
        result = await stepTable(engine, plan, checkpoint, signal, parentsBusy || engine.board.waits(plan.table) < WAIT_PATIENCE);
        centralAnswered = true;
      } catch (error) {
        if (signal.aborted) break tables;
        if (!(error instanceof CentralUnavailable)) throw error;
        centralUnavailable = true;
        engine.central.unavailable(error.message);
        allIdle = false;
        // No answer at all: the tables not tried yet would only wait for the same timeout; they back off too.
        const postponed = error.unreachable ? engine.tables.slice(engine.tables.indexOf(plan)).filter((table) => engine.board.isDue(table.table)) : [plan];
        for (const table of postponed) engine.board.postponed(table.table, error.context.retryAfterMs as number | null);
        if (error.unreachable) break tables;
        continue tables;
      }
      await report(engine, plan, result);
      const goesOn = (result.kind === 'progress' && result.more) || result.kind === 'reset';
      if (!goesOn || Date.now() >= sliceEnds || signal.aborted) break;
      checkpoint = (await readCheckpoints(engine.db)).get(plan.table)!;
    }
    centralAnswered ||= result.kind === 'failed' && result.error instanceof ContractError;
    allIdle &&= result.kind === 'idle';
    if (result.kind === 'idle') idle.push({ table: plan.table, checkpoint });
    if (result.kind === 'progress' || result.kind === 'reset') moving.add(plan.table);
    // After any progress the next round starts at once: more may be waiting, and only an all-idle round long-polls.
    busy ||= result.kind === 'progress' || result.kind === 'reset' || (result.kind === 'waiting' && parentsBusy);
  }
  if (centralAnswered && !centralUnavailable) engine.central.reachable();
  engine.board.publish();
  return { busy, idle: allIdle && !signal.aborted ? idle : null };
}

/** One page of one table. Central API outages and local database outages are thrown; anything else is a result. */
async function stepTable(engine: PullEngine, plan: TablePlan, checkpoint: Checkpoint, signal: AbortSignal, mayWaitForParents: boolean): Promise<StepResult> {
  const context: TableContext = {
    db: engine.db,
    client: engine.client,
    prefetch: engine.prefetch,
    plan,
    sql: engine.sqlOf(plan.table),
    policy: engine.policy,
    logger: engine.loggerOf(plan.table),
    signal,
    mayWaitForParents,
  };
  try {
    return checkpoint.mode === 'snapshot' ? await pullSnapshotPage(context, checkpoint) : await pullDeltaPage(context, checkpoint);
  } catch (error) {
    if (error instanceof CentralUnavailable || isTransientError(error) || signal.aborted) throw error;
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error), error };
  }
}

async function report(engine: PullEngine, plan: TablePlan, result: StepResult): Promise<void> {
  const { board } = engine;
  const logger = engine.loggerOf(plan.table);
  logger.trace({ step: result.kind }, 'table step done');
  switch (result.kind) {
    case 'idle':
      board.succeeded(plan.table, result.lag);
      return;
    case 'progress':
      board.counted(plan.table, result.applied, result.rejected.length);
      logRejected(logger, result.rejected, 'warn');
      board.succeeded(plan.table, result.lag);
      return;
    case 'reset':
      board.observe(plan.table, 'snapshot', 0);
      return;
    case 'waiting':
      board.waiting(plan.table, result.reason);
      return;
    case 'held':
      board.counted(plan.table, result.applied, result.rejected.length);
      logRejected(logger, result.rejected, 'error');
      board.failed(plan.table, `stop-table: ${result.reason}`);
      return;
    case 'failed':
      await recordTableError(engine.db, plan.table, result.reason);
      board.failed(plan.table, result.reason, { err: result.error });
      return;
  }
}

function logRejected(logger: Logger, rejected: readonly RejectedRow[], level: 'warn' | 'error'): void {
  for (const row of rejected) {
    logger[level]({ key: row.key, column: row.column, reason: row.reason, sourceVersion: row.version }, 'row refused by the local database; recorded in sync_rejected_row');
  }
}
