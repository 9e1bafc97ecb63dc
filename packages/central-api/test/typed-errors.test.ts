import { ConfigError, ContractError, PermanentError, SyncError, TransientError, classifyError } from '@goldpdv/core';
import { describe, expect, it } from 'vitest';
import { InvalidPullRequestError } from '../src/deltas/invalid-pull-request-error.js';
import { ResetRequiredError } from '../src/deltas/reset-required-error.js';
import { UnknownTableError } from '../src/deltas/unknown-table-error.js';
import { badRequest, HttpProblem, PROBLEM_TYPES, serviceUnavailable } from '../src/http/problem.js';
import { checkedRoutineName } from '../src/ingest/event-handlers.js';
import { UnisolatedHandlerFailure } from '../src/ingest/unisolated-handler-failure.js';
import type { ValidEvent } from '../src/ingest/validate-event.js';

/** central-api's errors are core's typed errors: each says what may be done next and carries a cause and context. */
describe('pull errors', () => {
  it("extend core's typed errors and keep what the HTTP layer answers with", () => {
    const reset = new ResetRequiredError('produto', '40', '12');
    expect(reset).toBeInstanceOf(PermanentError);
    expect(reset).toMatchObject({ name: 'ResetRequiredError', table: 'produto', minValidVersion: '40', sinceVersion: '12', context: { table: 'produto' } });
    const invalid = new InvalidPullRequestError('cursor', 'cursor is not one this server issued');
    expect(invalid).toBeInstanceOf(ContractError);
    expect(invalid).toMatchObject({ name: 'InvalidPullRequestError', field: 'cursor', message: 'cursor is not one this server issued' });
    const unknown = new UnknownTableError('x'.repeat(200));
    expect(unknown).toBeInstanceOf(ContractError);
    expect(unknown.table).toHaveLength(200);
    expect(unknown.message).toBe(`no table named "${'x'.repeat(140)}" is served`);
  });
});

describe('HTTP problems', () => {
  it('say their kind by their status, so that core classifies them like any typed error', () => {
    const refused = badRequest('limit must be an integer', 'limit');
    expect(refused).toBeInstanceOf(SyncError);
    expect(refused).toMatchObject({ name: 'HttpProblem', kind: 'contract', status: 400, field: 'limit', context: { status: 400, field: 'limit' } });
    const cause = new Error('connection refused');
    const unavailable = serviceUnavailable(5, 'the database is not reachable', cause);
    expect(unavailable).toMatchObject({ kind: 'transient', cause, headers: { 'retry-after': '5' } });
    expect(classifyError(unavailable).transient).toBe(true);
    expect(new HttpProblem(500, PROBLEM_TYPES.internal, 'Internal server error').kind).toBe('permanent');
    expect(new HttpProblem(429, PROBLEM_TYPES.retry, 'Too many requests').kind).toBe('transient');
  });
});

describe('ingest errors', () => {
  it('refuse a routine name outside ROUTINE_NAME as a configuration error naming EVENT_HANDLERS', () => {
    expect(checkedRoutineName('sync_handle_venda')).toBe('sync_handle_venda');
    let caught: unknown;
    try {
      checkedRoutineName('a]b');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ variable: 'EVENT_HANDLERS', message: 'not a valid routine name: a]b' });
  });

  it('carry the event and the handler failure of a transaction that could not isolate it', () => {
    const event = { eventId: 'e1', type: 'venda.finalizada' } as ValidEvent;
    const failure = Object.assign(new Error('Transaction is doomed'), { number: 3930 });
    const error = new UnisolatedHandlerFailure(event, failure);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ event, failure, cause: failure, context: { eventId: 'e1', eventType: 'venda.finalizada' } });
  });
});
