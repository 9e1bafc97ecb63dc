import { SyncError } from './sync-error.js';

/** A failure that is expected to go away on its own (deadlock, dropped connection, 503): retry later. */
export class TransientError extends SyncError {
  readonly kind = 'transient' as const;
}

/**
 * A streamed answer whose head did not come within the time the server promised to send it in: a proxy on the
 * way that holds streamed answers back until they end (response buffering), or a dead connection.
 */
export class AnswerHeadTimeoutError extends TransientError {}
