import type { AppliedColumns, Checkpoint } from '../db/checkpoint-store.js';
import type { TableJob } from '../table-job.js';

/** Why a table starts again from a snapshot: a sentence for the logs and the health board, and the log fields. */
export interface SnapshotCause {
  message: string;
  fields: Record<string, unknown>;
}

/**
 * A column newly applied (served centrally and mapped here, or newly mapped here) would otherwise reach only the
 * rows changed from now on: when the set of applied columns differs from the one the checkpoint recorded, the
 * table is read again from a snapshot. A checkpoint that recorded none yet (before pdv/0012) just records it.
 */
export function columnsChange(checkpoint: Checkpoint, applied: AppliedColumns): SnapshotCause | null {
  if (checkpoint.appliedColumns === null || checkpoint.appliedColumns === applied.fingerprint) return null;
  return {
    message: 'the columns this table applies changed (a central column newly served and mapped, or a local column newly mapped), so every row is read again to get their values',
    fields: { reason: 'columns-changed', previous: checkpoint.appliedColumns, now: applied.fingerprint, ignored: applied.ignored },
  };
}

/** Central columns no local column maps to: one warning when the list changes, and the list kept for `status`. */
export function warnIgnored(job: TableJob, checkpoint: Checkpoint, applied: AppliedColumns): void {
  if (applied.ignored === null || applied.ignored === checkpoint.ignoredColumns) return;
  job.logger.warn(
    { ignoredColumns: applied.ignored },
    `central columns not mapped to any local column of ${job.plan.localTable} are ignored: ${applied.ignored} (map them in the mapping file or add the local columns to pull them)`,
  );
}

