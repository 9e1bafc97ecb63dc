import { Counter, Gauge, type Registry } from '@goldpdv/core';

/** Per-table Prometheus metrics of the pull-service, fed by the TableStatusBoard. */
export class PullMetrics {
  private readonly lag: Gauge<'table'>;
  private readonly applied: Counter<'table'>;
  private readonly rejected: Counter<'table'>;
  private readonly failing: Gauge<'table'>;
  private readonly answers: Counter<'status'>;
  private readonly heldBack: Counter;

  constructor(register: Registry) {
    const registers = [register];
    this.lag = new Gauge({ name: 'goldpdv_pull_lag_versions', help: 'Central versions the table is behind, as of its last page', labelNames: ['table'], registers });
    this.applied = new Counter({ name: 'goldpdv_pull_rows_applied_total', help: 'Rows applied to the local table', labelNames: ['table'], registers });
    this.rejected = new Counter({ name: 'goldpdv_pull_rows_rejected_total', help: 'Rows the local database refused (recorded in sync_rejected_row)', labelNames: ['table'], registers });
    this.failing = new Gauge({ name: 'goldpdv_pull_table_failing', help: '1 while the table cannot move (its checkpoint is stuck), else 0', labelNames: ['table'], registers });
    this.answers = new Counter({ name: 'goldpdv_http_responses_total', help: 'Answers of the central API, by HTTP status', labelNames: ['status'], registers });
    this.heldBack = new Counter({ name: 'goldpdv_pull_streams_held_back_total', help: 'Change streams whose head did not come in time (a buffering proxy or a dead connection); waits then go as one request each for a while', registers });
    this.heldBack.inc(0);
  }

  streamHeldBack(): void {
    this.heldBack.inc();
  }

  answer(status: number): void {
    this.answers.inc({ status: String(status) });
  }

  /** Makes every table visible from the start, with zero counts, so that rate() and alerts see it before its first row. */
  track(table: string): void {
    this.applied.inc({ table }, 0);
    this.rejected.inc({ table }, 0);
    this.failing.set({ table }, 0);
  }

  rows(table: string, applied: number, rejected: number): void {
    if (applied > 0) this.applied.inc({ table }, applied);
    if (rejected > 0) this.rejected.inc({ table }, rejected);
  }

  state(table: string, lag: number | null, failing: boolean): void {
    if (lag !== null) this.lag.set({ table }, lag);
    this.failing.set({ table }, failing ? 1 : 0);
  }
}
