export { createLogger, type CreateLoggerOptions, type SyncLogger } from './create-logger.js';
export type { LogLevel, LogSettings } from './settings.js';
export { REDACTED } from './redaction.js';
