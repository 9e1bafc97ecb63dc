export { classifyError, isTransientError, type ErrorClassification } from './classify-error.js';
export { fullJitterDelayMs, jitteredIntervalMs, type BackoffPolicy } from './backoff.js';
export { withRetry, type RetryOptions } from './with-retry.js';
