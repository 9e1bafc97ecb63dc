import { TransientError } from '@goldpdv/core';
import type { AppContext } from './app-context.js';
import { SERVICE_NAME } from './config.js';
import { serviceUnavailable } from './http/problem.js';
import type { Route } from './http/route.js';

// A probe must answer before the orchestrator's own probe timeout (often 1-5 s), even when the pool hangs.
const READY_QUERY_TIMEOUT_MS = 2_000;

/** Liveness (the process answers) and readiness (the database answers), on the API's own port. */
export function healthRoutes(context: AppContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/health/live',
      handle: () => ({ status: 200, body: { service: SERVICE_NAME, status: 'ok' } }),
    },
    {
      method: 'GET',
      path: '/health/ready',
      async handle() {
        const retryAfter = context.config.RETRY_AFTER_SECONDS;
        if (context.stopping()) throw serviceUnavailable(retryAfter, 'the service is shutting down');
        try {
          await withTimeout(context.db.query('SELECT 1 AS ok'), READY_QUERY_TIMEOUT_MS);
        } catch (error) {
          context.logger.warn({ err: error }, 'readiness check: database unreachable');
          throw serviceUnavailable(retryAfter, 'the database is not reachable', error);
        }
        return { status: 200, body: { service: SERVICE_NAME, status: 'ok', database: 'ok' } };
      },
    },
  ];
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError(`no answer within ${ms} ms`, { context: { timeoutMs: ms } })), ms);
  });
  // The query may still settle after the deadline; its outcome no longer matters.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
