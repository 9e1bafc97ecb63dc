import type { Queryable } from '@goldpdv/core';
import type { Authenticator } from '../auth.js';
import type { CentralLogger } from '../logger.js';
import { startCoalescingWriter } from './coalescing-writer.js';
import type { LastSeen, PdvStore } from './pdv-store.js';

/**
 * When each PDV last called the central API, without a database write per request: every authenticated request
 * only notes the time in memory, and the latest time of each PDV seen is written in one statement at most once
 * every `intervalMs` (per replica). A crash loses at most one interval of it; several replicas each write their
 * own latest, and the statement never moves a time backwards.
 */
export interface LastSeenRecorder {
  /** Notes a request of `pdvId` (in memory only). */
  seen(pdvId: string, at?: Date): void;
  /** Writes what was noted since the last write, in one statement; nothing when nothing was noted. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left, waiting at most 5 s. Safe to call twice. */
  stop(): Promise<void>;
}

export interface LastSeenOptions {
  db: Queryable;
  store: PdvStore;
  intervalMs: number;
  logger: CentralLogger;
}

export function startLastSeenRecorder(options: LastSeenOptions): LastSeenRecorder {
  const writer = startCoalescingWriter<LastSeen>({
    intervalMs: options.intervalMs,
    keyOf: (entry) => entry.pdvId,
    replaces: (candidate, kept) => kept.seenAt < candidate.seenAt,
    write: (seen) => options.store.recordLastSeen(options.db, seen),
    // Kept for the next write: a last-seen time is worth a retry, never a failed request.
    onWriteError: (error, pdvs) => options.logger.warn({ err: error, pdvs }, 'could not record when PDVs were last seen; retrying at the next interval'),
    onStopTimeout: (pdvs) => options.logger.warn({ pdvs }, 'last-seen times not recorded at stop (the database did not answer in time)'),
  });
  return {
    seen: (pdvId, at = new Date()) => writer.note({ pdvId, seenAt: at }),
    flush: writer.flush,
    stop: writer.stop,
  };
}

/** The authenticator, noting each caller it lets in. */
export function recordingLastSeen(auth: Authenticator, recorder: Pick<LastSeenRecorder, 'seen'>): Authenticator {
  return {
    async authenticate(headers) {
      const identity = await auth.authenticate(headers);
      recorder.seen(identity.pdvId);
      return identity;
    },
  };
}
