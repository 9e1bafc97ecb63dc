import { SyncError } from './sync-error.js';

/** A failure that repeating the same call cannot fix (constraint violation, 422): never retried. */
export class PermanentError extends SyncError {
  readonly kind = 'permanent' as const;
}
