import { SyncError, type SyncErrorOptions } from './sync-error.js';

/** A missing or invalid setting. `variable` names the environment variable (or file) at fault. */
export class ConfigError extends SyncError {
  readonly kind = 'config' as const;
  readonly variable: string;

  constructor(variable: string, message: string, options: SyncErrorOptions = {}) {
    super(message, { ...options, context: { variable, ...options.context } });
    this.variable = variable;
  }
}
