import type { Database } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import { purgeInbox, type InboxPurgeOptions } from './inbox-purge.js';

/** The purge runs hourly: a day's worth of arrivals is purged in small steps rather than in one sweep. */
export const INBOX_PURGE_INTERVAL_MS = 3_600_000;
/** The first run comes soon after start (a replica restarted every hour would otherwise never run it). */
const FIRST_RUN_MAX_DELAY_MS = 60_000;

export interface InboxRetentionScheduleOptions {
  db: Database;
  /** INBOX_RETENTION_DAYS; 0 starts nothing. */
  retentionDays: number;
  logger: CentralLogger;
  isStopping(): boolean;
  intervalMs?: number;
  /** Tests set it; by default a random delay within the first minute, so that replicas do not start together. */
  firstRunDelayMs?: number;
  /** Batch size and pause, for tests. */
  purge?: Pick<InboxPurgeOptions, 'batchSize' | 'pauseMs'>;
}

export interface InboxRetentionSchedule {
  /** Ends the timer, and a run in progress at its next batch. Safe to call twice. */
  stop(): void;
  /** Settles when the run in progress (if any) has ended; for tests and the shutdown. */
  idle(): Promise<void>;
}

/**
 * Runs the inbox purge every `intervalMs` on every replica, as the change-log retention does
 * (deltas/retention-schedule.ts): the batches skip the rows another replica holds, so replicas share the work
 * instead of fighting over it. A failed run is logged and tried again at the next interval. The timer never
 * keeps the process alive and ends once the server is stopping.
 */
export function startInboxRetentionSchedule(options: InboxRetentionScheduleOptions): InboxRetentionSchedule {
  const intervalMs = options.intervalMs ?? INBOX_PURGE_INTERVAL_MS;
  let running: Promise<void> = Promise.resolve();
  if (options.retentionDays <= 0 || intervalMs <= 0) return { stop() {}, idle: () => running };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const ended = (): boolean => stopped || options.isStopping();

  const run = async (): Promise<void> => {
    if (ended()) return;
    const started = Date.now();
    try {
      const result = await purgeInbox({ db: options.db, olderThanDays: options.retentionDays, shouldStop: ended, ...options.purge });
      const fields = { ...result, retentionDays: options.retentionDays, ms: Date.now() - started };
      if (result.deleted > 0) options.logger.info(fields, 'inbox retention purged old events; their keys stay in sync_inbox_purged');
      else options.logger.debug(fields, 'inbox retention found nothing to purge');
    } catch (error) {
      // A pool closed by the shutdown is no failure worth a warning.
      if (!ended()) options.logger.warn({ err: error }, 'inbox retention failed; it runs again at the next interval');
    }
    schedule(intervalMs);
  };

  const schedule = (delayMs: number): void => {
    if (ended()) return;
    timer = setTimeout(() => {
      running = run();
    }, delayMs);
    timer.unref();
  };

  schedule(options.firstRunDelayMs ?? Math.floor(Math.random() * Math.min(intervalMs, FIRST_RUN_MAX_DELAY_MS)));
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    idle: () => running,
  };
}
