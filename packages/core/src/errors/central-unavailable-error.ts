import { TransientError } from './transient-error.js';

/**
 * The central API could not serve us: network down, timeout, 5xx, 429, or credentials refused. Both daemons
 * report it as "central unavailable" (degraded, never a failure: nothing on the PDV can fix it) and retry with
 * backoff. `unreachable` is true when no HTTP answer came at all.
 */
export class CentralUnavailableError extends TransientError {
  readonly unreachable: boolean;
  readonly status: number | null;
  readonly retryAfterMs: number | null;

  constructor(message: string, options: { cause?: unknown; status?: number | null; retryAfterMs?: number | null; table?: string | null } = {}) {
    super(message, { cause: options.cause, context: { status: options.status ?? null, retryAfterMs: options.retryAfterMs ?? null, table: options.table ?? null } });
    this.status = options.status ?? null;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.unreachable = this.status === null;
  }
}
