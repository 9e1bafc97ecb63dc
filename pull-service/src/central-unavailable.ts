import { TransientError } from '@goldpdv/core';

/**
 * The central API could not serve us: network down, timeout, 5xx, 429, or credentials refused. It is reported
 * as "degraded" and retried with backoff, never as a table failure: nothing on the PDV can fix it.
 * `unreachable` is true when no answer came at all, so the other tables need not be tried in the same round.
 */
export class CentralUnavailable extends TransientError {
  readonly unreachable: boolean;

  constructor(message: string, options: { cause?: unknown; status?: number | null; retryAfterMs?: number | null; table?: string | null }) {
    super(message, { cause: options.cause, context: { status: options.status ?? null, retryAfterMs: options.retryAfterMs ?? null, table: options.table ?? null } });
    this.unreachable = options.status === undefined || options.status === null;
  }
}
