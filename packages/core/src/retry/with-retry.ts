import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { fullJitterDelayMs, type BackoffPolicy } from './backoff.js';
import { classifyError } from './classify-error.js';

export interface RetryOptions extends Partial<BackoffPolicy> {
  /** Retries after the first attempt. Short in-process retries only: long outages are scheduled in the database. */
  retries?: number;
  signal?: AbortSignal;
  onRetry?: (info: { error: unknown; attempt: number; delayMs: number; reason: string }) => void;
  /** Overrides the transient-error classification (tests, special cases). */
  isRetryable?: (error: unknown) => boolean;
}

const DEFAULTS = { retries: 4, baseMs: 100, capMs: 5_000 };

/**
 * Runs `operation`, retrying only errors classified as transient, with full-jitter backoff. p-retry keeps the
 * attempt bookkeeping and abort handling; its own delay is disabled (minTimeout 0) because it does not offer
 * full jitter, so the wait happens in `shouldRetry`, which it awaits, and only for errors we will retry.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = { baseMs: options.baseMs ?? DEFAULTS.baseMs, capMs: options.capMs ?? DEFAULTS.capMs };
  return pRetry(operation, {
    retries: options.retries ?? DEFAULTS.retries,
    minTimeout: 0,
    maxTimeout: 0,
    signal: options.signal,
    shouldRetry: async ({ error, attemptNumber }) => {
      const classification = classifyError(error);
      const retryable = options.isRetryable ? options.isRetryable(error) : classification.transient;
      if (!retryable) return false;
      const delayMs = fullJitterDelayMs(attemptNumber - 1, policy);
      options.onRetry?.({ error, attempt: attemptNumber, delayMs, reason: classification.reason });
      await sleep(delayMs, undefined, { signal: options.signal });
      return true;
    },
  });
}
