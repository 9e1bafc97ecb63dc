export { SyncError, type ErrorContext, type SyncErrorOptions } from './sync-error.js';
export { AnswerHeadTimeoutError, TransientError } from './transient-error.js';
export { PermanentError } from './permanent-error.js';
export { ConfigError } from './config-error.js';
export { ContractError } from './contract-error.js';
export { CentralUnavailableError } from './central-unavailable-error.js';
