import { RESET_REQUIRED_TYPE, TABLE_PAUSED_TYPE } from '@goldpdv/core';
import { badRequest, HttpProblem, PROBLEM_TYPES } from '../http/problem.js';
import { InvalidPullRequestError } from './invalid-pull-request-error.js';
import { ResetRequiredError } from './reset-required-error.js';
import { TablePausedError } from './table-paused-error.js';
import { UnknownTableError } from './unknown-table-error.js';

/**
 * The pull services' refusals as problem+json answers. 410 carries the contract's reset-required members
 * (table, minValidVersion, sinceVersion) next to type, title and status, and `reason` (see ResetReason); 409
 * table-paused carries `table` and `reason`.
 * Anything else is a fault and is left to the server, which logs it and answers 500 or 503.
 */
export function toHttpProblem(error: unknown): unknown {
  if (error instanceof ResetRequiredError) {
    return new HttpProblem(410, RESET_REQUIRED_TYPE, 'Reset required', {
      detail: error.detail,
      extensions: { table: error.table, minValidVersion: error.minValidVersion, sinceVersion: error.sinceVersion, reason: error.reason },
      cause: error,
    });
  }
  // 409 carries the contract's table-paused members: only this table stops, and the client asks again later.
  if (error instanceof TablePausedError) {
    return new HttpProblem(409, TABLE_PAUSED_TYPE, 'Table paused', {
      detail: `table ${error.table} cannot be served as declared now; the other tables go on`,
      extensions: { table: error.table, reason: error.reason },
      cause: error,
    });
  }
  if (error instanceof InvalidPullRequestError) return badRequest(error.message, error.field);
  if (error instanceof UnknownTableError) {
    return new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', { detail: `${error.message} (GET /v1/tables lists them)`, field: 'table' });
  }
  return error;
}
