import { SyncError } from './sync-error.js';

/** The other side broke the sync contract: a malformed page, an unexpected status, a missing field. */
export class ContractError extends SyncError {
  readonly kind = 'contract' as const;
}
