import { RESET_REQUIRED_TYPE } from '@goldpdv/core';
import { badRequest, HttpProblem, PROBLEM_TYPES } from '../http/problem.js';
import { InvalidPullRequestError, ResetRequiredError, UnknownTableError } from './delta-errors.js';

/**
 * The pull services' refusals as problem+json answers. 410 carries the contract's reset-required members
 * (table, minValidVersion, sinceVersion) next to type, title and status. Anything else is a fault and is
 * left to the server, which logs it and answers 500 or 503.
 */
export function toHttpProblem(error: unknown): unknown {
  if (error instanceof ResetRequiredError) {
    return new HttpProblem(410, RESET_REQUIRED_TYPE, 'Reset required', {
      detail: `the checkpoint of ${error.table} is older than the oldest change still tracked; re-read the table from GET /v1/snapshot`,
      extensions: { table: error.table, minValidVersion: error.minValidVersion, sinceVersion: error.sinceVersion },
      cause: error,
    });
  }
  if (error instanceof InvalidPullRequestError) return badRequest(error.message, error.field);
  if (error instanceof UnknownTableError) {
    return new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', { detail: `${error.message} (GET /v1/tables lists them)`, field: 'table' });
  }
  return error;
}
