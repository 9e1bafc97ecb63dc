import { classifyError } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import { HttpProblem, PROBLEM_TYPES, serviceUnavailable } from './problem.js';

/**
 * What an error that no handler expected becomes. A transient one (database down, deadlock, pool exhausted)
 * is a 503 with Retry-After: the client's retry will succeed. Anything else is a real server fault: logged with
 * its stack and answered 500 without internals, since the message may quote SQL or data.
 */
export function faultToProblem(error: unknown, log: CentralLogger, retryAfterSeconds: number): HttpProblem {
  const classification = classifyError(error);
  if (classification.transient) {
    log.warn({ err: error, reason: classification.reason }, 'transient failure; answering 503');
    return serviceUnavailable(retryAfterSeconds, 'the service cannot complete this request now; retry later with the same request', error);
  }
  log.error({ err: error }, 'unexpected error while handling a request');
  return new HttpProblem(500, PROBLEM_TYPES.internal, 'Internal server error', {
    detail: 'the server failed to handle this request; it has been logged',
    cause: error,
  });
}
