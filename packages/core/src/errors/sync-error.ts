/** Context that helps an operator act on an error: table, event id, variable name, SQL number... */
export type ErrorContext = Record<string, unknown>;

export interface SyncErrorOptions {
  cause?: unknown;
  context?: ErrorContext;
}

/**
 * Base class of every error this project throws on purpose. Subclasses say what the caller may do next:
 * retry (transient), give up on this item (permanent), fix the configuration (config) or fix the peer (contract).
 */
export abstract class SyncError extends Error {
  readonly context: ErrorContext;
  abstract readonly kind: 'transient' | 'permanent' | 'config' | 'contract';

  constructor(message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }
}
