import { SyncError } from './sync-error.js';

/** A failure that is expected to go away on its own (deadlock, dropped connection, 503): retry later. */
export class TransientError extends SyncError {
  readonly kind = 'transient' as const;
}
