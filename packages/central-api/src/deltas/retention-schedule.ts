import type { Database } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import type { DeltaStore } from './db/delta-store.js';

export interface RetentionScheduleOptions {
  db: Database;
  /** The store's change-log cleanup; null where the database cleans up by itself. */
  cleanup: DeltaStore['cleanupChangeLog'];
  intervalMs: number;
  logger: CentralLogger;
  isStopping(): boolean;
}

/** The first run comes soon after start (a replica restarted every hour would otherwise never run it). */
const FIRST_RUN_MAX_DELAY_MS = 60_000;

/**
 * Runs the change-log retention every `intervalMs` (PostgreSQL; SQL Server's Change Tracking cleans up by
 * itself, and its store has no cleanup). Every replica runs it; the database function lets one at a time do
 * the work. The timer never keeps the process alive and ends once the server is stopping.
 */
export function startRetentionSchedule(options: RetentionScheduleOptions): { stop(): void } {
  const cleanup = options.cleanup;
  if (cleanup === null || options.intervalMs <= 0) return { stop() {} };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const run = async (): Promise<void> => {
    if (stopped || options.isStopping()) return;
    try {
      const result = await cleanup(options.db);
      if (result.deleted > 0) options.logger.info(result, 'change-log retention deleted old entries');
    } catch (error) {
      options.logger.warn({ err: error }, 'change-log retention failed; it runs again at the next interval');
    }
    schedule(options.intervalMs);
  };

  const schedule = (delayMs: number): void => {
    if (stopped || options.isStopping()) return;
    timer = setTimeout(() => void run(), delayMs);
    timer.unref();
  };

  schedule(Math.floor(Math.random() * Math.min(options.intervalMs, FIRST_RUN_MAX_DELAY_MS)));
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
