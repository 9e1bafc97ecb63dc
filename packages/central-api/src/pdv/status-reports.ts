import type { PdvStatusReport, Queryable } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import { startCoalescingWriter } from './coalescing-writer.js';
import type { StatusReportStore, StoredStatusReport } from './status-report-store.js';

/**
 * The latest status report of each PDV daemon, without a database write per report: a report is kept in memory
 * and the ones that arrived since the last write are written every `intervalMs` (per replica), in one statement
 * per chunk. A crash loses at most one interval of reports, which the PDVs send again at their next heartbeat.
 */
export interface StatusReportRecorder {
  /** Keeps `report` as the latest of that PDV's daemon (in memory only). */
  note(pdvId: string, report: PdvStatusReport, receivedAt?: Date): void;
  /** Writes the reports noted since the last write; nothing when none was. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left, waiting at most `stopTimeoutMs`. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StatusReportOptions {
  db: Queryable;
  store: StatusReportStore;
  intervalMs: number;
  /** Bound on the last write at stop (a database gone at shutdown must not hold the process). */
  stopTimeoutMs?: number;
  logger: CentralLogger;
}

export function startStatusReportRecorder(options: StatusReportOptions): StatusReportRecorder {
  const writer = startCoalescingWriter<StoredStatusReport>({
    intervalMs: options.intervalMs,
    stopTimeoutMs: options.stopTimeoutMs,
    keyOf: (entry) => `${entry.pdvId}\u0000${entry.daemon}`,
    replaces: (candidate, kept) => kept.receivedAt <= candidate.receivedAt,
    write: async (batch) => {
      await options.store.upsert(options.db, batch);
    },
    // Kept for the next write unless a newer report came meanwhile: a report is worth a retry, never an error.
    onWriteError: (error, reports) => options.logger.warn({ err: error, reports }, 'could not store PDV status reports; retrying at the next interval'),
    onStopTimeout: (reports) => options.logger.warn({ reports }, 'PDV status reports not stored at stop (the database did not answer in time); the PDVs send them again'),
  });
  return {
    note(pdvId, report, receivedAt = new Date()) {
      writer.note({ pdvId, daemon: report.daemon, receivedAt, report: JSON.stringify(report) });
    },
    flush: writer.flush,
    stop: writer.stop,
  };
}
