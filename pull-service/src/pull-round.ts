import { CentralUnavailableError, ContractError, isTransientError, type CentralAvailability, type Database } from '@goldpdv/core';
import { applyDeltaPage } from './apply/apply-delta-page.js';
import { applySnapshotPage } from './apply/apply-snapshot-page.js';
import type { Checkpoint, CheckpointStore } from './db/checkpoint-store.js';
import type { RejectedRow } from './db/rejected-row-store.js';
import type { Logger } from './logger.js';
import type { TableStatusBoard } from './status/table-status.js';
import type { Step, StepResult, TableJob } from './table-job.js';

/** A page that refers to missing parent rows waits this many rounds once its parents are idle, then is judged. */
const WAIT_PATIENCE = 3;
/** How long one table may keep pulling pages in a round before the next table's turn. */
const TABLE_SLICE_MS = 2_000;

export interface RoundResult {
  /** Some table has more to fetch now: run the next round at once. */
  busy: boolean;
  /** Every table that was due found nothing to do; these are the ones a long-poll may wait on. */
  idle: { table: string; checkpoint: Checkpoint }[] | null;
}

/**
 * One round over the tables, in dependency order (parents first), each pulling pages while it has more, for up
 * to TABLE_SLICE_MS, so that parents are ahead of their children and a long backlog cannot starve the loop's
 * heartbeat. Each table's failure is its own: the others go on, and this is the one place that records it
 * (sync_checkpoint.last_error, health, logs). Only local database failures end the round, by throwing, so that
 * the work loop reports the database and backs off.
 */
export class PullRound {
  constructor(
    readonly jobs: readonly TableJob[],
    private readonly db: Database,
    private readonly checkpoints: CheckpointStore,
    private readonly board: TableStatusBoard,
    private readonly central: CentralAvailability,
  ) {}

  /** The tables the last round found idle, with their checkpoints: a focused round leaves them alone. */
  private idleBefore = new Map<string, Checkpoint>();

  /**
   * `focus`: the tables a wait said changed. The tables the last round found idle and that are not in it are not
   * asked again (the wait just said they have nothing), so that a change to one table costs one request per
   * PDV instead of one per table; every other table (in focus, failing, busy, not seen yet) is stepped as usual.
   */
  async run(signal: AbortSignal, focus: ReadonlySet<string> | null = null): Promise<RoundResult> {
    const checkpoints = await this.checkpoints.readAll(this.db);
    const { board } = this;
    const moving = new Set<string>();
    const idle: { table: string; checkpoint: Checkpoint }[] = [];
    let allIdle = true;
    let busy = false;
    let centralAnswered = false;
    let centralUnavailable = false;

    tables: for (const job of this.jobs) {
      const { table } = job.plan;
      if (signal.aborted) break;
      if (!board.isDue(table)) continue;
      let checkpoint = checkpoints.get(table)!;
      const quiet = focus !== null && !focus.has(table) ? this.idleBefore.get(table) : undefined;
      // A table holding deletes back (their rows were still referred to locally) is stepped all the same: its step
      // is what tries them again, and the wait cannot know that a child table has since let them go.
      if (quiet !== undefined && quiet.version === checkpoint.version && checkpoint.pendingDeletes.length === 0) {
        // The wait that just ended is central's word that this table has nothing for this PDV: as current as a
        // read would have shown it, so its status (and the lag the fleet view shows) says so.
        board.succeeded(table, null);
        idle.push({ table, checkpoint });
        continue;
      }
      const parentsBusy = job.plan.parents.some((parent) => moving.has(parent) || board.isFailing(parent));
      const sliceEnds = Date.now() + TABLE_SLICE_MS;
      let result: StepResult;
      // A table with a backlog keeps the turn for a while: its parents went before it, and polling the idle
      // tables between each of its pages would cost more than the pages.
      for (;;) {
        board.observe(table, checkpoint.mode, checkpoint.pendingDeletes.length);
        try {
          result = await stepTable(job, checkpoint, { signal, mayWaitForParents: parentsBusy || board.waits(table) < WAIT_PATIENCE });
          centralAnswered = true;
        } catch (error) {
          if (signal.aborted) break tables;
          if (!(error instanceof CentralUnavailableError)) throw error;
          centralUnavailable = true;
          this.central.unavailable(error.message, error.status);
          allIdle = false;
          // No answer at all: the tables not tried yet would only wait for the same timeout; they back off too.
          const postponed = error.unreachable ? this.jobs.slice(this.jobs.indexOf(job)).filter((other) => board.isDue(other.plan.table)) : [job];
          for (const other of postponed) board.postponed(other.plan.table, error.retryAfterMs);
          if (error.unreachable) break tables;
          continue tables;
        }
        await this.report(job, result);
        const goesOn = (result.kind === 'progress' && result.more) || result.kind === 'snapshot-started';
        if (!goesOn || Date.now() >= sliceEnds || signal.aborted) break;
        checkpoint = (await this.checkpoints.readAll(this.db)).get(table)!;
      }
      centralAnswered ||= result.kind === 'failed' && result.error instanceof ContractError;
      const caughtUp = await this.caughtUp(table, checkpoint, result);
      allIdle &&= result.kind === 'idle' || caughtUp !== null;
      if (result.kind === 'idle') idle.push({ table, checkpoint });
      else if (caughtUp !== null) idle.push({ table, checkpoint: caughtUp });
      if (result.kind === 'progress' || result.kind === 'snapshot-started') moving.add(table);
      // After other progress the next round starts at once: more may be waiting, and only an all-idle round long-polls.
      busy ||= (result.kind === 'progress' && caughtUp === null) || result.kind === 'snapshot-started' || (result.kind === 'waiting' && parentsBusy);
    }
    if (centralAnswered && !centralUnavailable) this.central.reachable();
    board.publish();
    this.idleBefore = new Map(idle.map((entry) => [entry.table, entry.checkpoint]));
    return { busy, idle: allIdle && !signal.aborted ? idle : null };
  }

  /**
   * The checkpoint a delta page left its table at when the page took it to its window's end, with no more pages
   * and no deletes held back: the table is as current as a second read would show, and the wait that follows
   * starts there and answers at once if anything came meanwhile, so a change costs a PDV one read, not two.
   * Null otherwise (more to fetch, a snapshot, deletes to try again): the next round steps the table.
   */
  private async caughtUp(table: string, stepped: Checkpoint, result: StepResult): Promise<Checkpoint | null> {
    if (result.kind !== 'progress' || result.more || stepped.mode !== 'delta') return null;
    const after = (await this.checkpoints.readAll(this.db)).get(table);
    return after !== undefined && after.mode === 'delta' && after.pendingDeletes.length === 0 ? after : null;
  }

  private async report(job: TableJob, result: StepResult): Promise<void> {
    const { board } = this;
    const { logger, plan } = job;
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
      case 'snapshot-started':
        board.observe(plan.table, 'snapshot', 0);
        return;
      case 'waiting':
        board.waiting(plan.table, result.reason);
        return;
      case 'held':
        board.counted(plan.table, result.applied, result.rejected.length);
        logRejected(logger, result.rejected, 'error');
        await this.tableFailed(plan.table, `stop-table: ${result.reason}`);
        return;
      case 'failed':
        await this.tableFailed(plan.table, result.reason, result.error);
        return;
    }
  }

  /** The table cannot move: its checkpoint row keeps the reason, and the board reports it and schedules the retry. */
  private async tableFailed(table: string, reason: string, err?: unknown): Promise<void> {
    await this.checkpoints.recordTableError(this.db, table, reason);
    this.board.failed(table, reason, { err });
  }
}

/** One page of one table. Central API outages and local database outages are thrown; anything else is a result. */
async function stepTable(job: TableJob, checkpoint: Checkpoint, step: Step): Promise<StepResult> {
  try {
    return checkpoint.mode === 'snapshot' ? await applySnapshotPage(job, checkpoint, step) : await applyDeltaPage(job, checkpoint, step);
  } catch (error) {
    if (isTransientError(error) || step.signal.aborted) throw error;
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error), error };
  }
}

function logRejected(logger: Logger, rejected: readonly RejectedRow[], level: 'warn' | 'error'): void {
  for (const row of rejected) {
    logger[level]({ key: row.key, column: row.column, reason: row.reason, sourceVersion: row.version }, 'row refused by the local database; recorded in sync_rejected_row');
  }
}
