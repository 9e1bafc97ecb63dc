import type { Logger } from '../logger.js';
import { fullJitterDelayMs, type BackoffPolicy, type HealthState } from '@goldpdv/core';
import type { PullMetrics } from './pull-metrics.js';

interface TableState {
  mode: 'delta' | 'snapshot';
  pendingDeletes: number;
  lag: number | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  /** Set while the table cannot move (stop-table, contract error, mapping problem); cleared by a success. */
  failing: string | null;
  /** A mapping problem found at start: not retried until the daemon restarts with a fixed file or schema. */
  permanent: boolean;
  failures: number;
  retryAt: number;
  waits: number;
}

/**
 * What is known about each pulled table, published to the health endpoint (info: per-table lag, mode, last
 * success and error; failingTables) and turned into log lines on changes of state, so that a failing table is
 * logged when it starts failing and when it recovers, not on every cycle.
 */
export class TableStatusBoard {
  private readonly states = new Map<string, TableState>();

  constructor(
    private readonly health: HealthState,
    private readonly backoff: BackoffPolicy,
    private readonly loggerOf: (table: string) => Logger,
    private readonly metrics: PullMetrics | null = null,
  ) {}

  track(table: string, mode: 'delta' | 'snapshot', lastSuccessAt: string | null): void {
    if (!this.states.has(table)) {
      this.states.set(table, { mode, pendingDeletes: 0, lag: null, lastSuccessAt, lastError: null, failing: null, permanent: false, failures: 0, retryAt: 0, waits: 0 });
      this.metrics?.track(table);
    } else this.state(table).mode = mode;
  }

  isDue(table: string, now = Date.now()): boolean {
    const state = this.state(table);
    return !state.permanent && state.retryAt <= now;
  }

  isFailing(table: string): boolean {
    return this.state(table).failing !== null;
  }

  waits(table: string): number {
    return this.state(table).waits;
  }

  succeeded(table: string, lag: number | null): void {
    const state = this.state(table);
    if (state.failing !== null) this.loggerOf(table).info({ failedFor: state.failures }, 'table is moving again');
    Object.assign(state, { lag: lag ?? state.lag, lastSuccessAt: new Date().toISOString(), failing: null, failures: 0, retryAt: 0, waits: 0 });
    this.health.clearDegraded(`table:${table}`);
  }

  /** The table cannot move; it is retried after a growing, jittered delay (or never, when `permanent`). */
  failed(table: string, reason: string, options: { permanent?: boolean; err?: unknown } = {}): void {
    const state = this.state(table);
    if (state.failing !== reason) this.loggerOf(table).error({ err: options.err, reason }, 'table is failing; its checkpoint does not move');
    state.failing = reason;
    state.lastError = reason;
    state.permanent = options.permanent ?? false;
    this.delay(state);
    this.health.setDegraded(`table:${table}`, reason);
  }

  /** Central API unavailable: not the table's failure, only a later retry. */
  postponed(table: string, retryAfterMs: number | null): void {
    const state = this.state(table);
    this.delay(state, retryAfterMs);
  }

  /** Rows a page applied and refused; counted for metrics only (the checkpoint row holds the durable total). */
  counted(table: string, applied: number, rejected: number): void {
    this.metrics?.rows(table, applied, rejected);
  }

  waiting(table: string, reason: string): void {
    const state = this.state(table);
    state.waits += 1;
    if (state.waits === 1) this.loggerOf(table).info({ reason }, 'page waits for rows of parent tables');
  }

  /** What the table's checkpoint row says at the start of a round. */
  observe(table: string, mode: 'delta' | 'snapshot', pendingDeletes: number): void {
    Object.assign(this.state(table), { mode, pendingDeletes });
  }

  publish(): void {
    const failing: string[] = [];
    for (const [table, state] of this.states) {
      this.health.setInfo(`table.${table}.mode`, state.mode);
      this.health.setInfo(`table.${table}.lag`, state.lag);
      this.health.setInfo(`table.${table}.pendingDeletes`, state.pendingDeletes);
      this.health.setInfo(`table.${table}.lastSuccessAt`, state.lastSuccessAt);
      this.health.setInfo(`table.${table}.lastError`, state.lastError);
      if (state.failing !== null) failing.push(table);
      this.metrics?.state(table, state.lag, state.failing !== null);
    }
    this.health.setInfo('tables', this.states.size);
    this.health.setInfo('failingTables', failing.join(','));
    this.health.setInfo('failingTableCount', failing.length);
  }

  private delay(state: TableState, atLeastMs: number | null = null): void {
    state.failures += 1;
    state.retryAt = Date.now() + Math.max(fullJitterDelayMs(state.failures - 1, this.backoff), atLeastMs ?? 0);
  }

  private state(table: string): TableState {
    const state = this.states.get(table);
    if (!state) throw new Error(`table ${table} is not tracked`);
    return state;
  }
}
