import { describe, expect, it } from 'vitest';
import { classifyHandlerFailure } from '../src/ingest/handler-failure.js';

/** Errors shaped as the drivers raise them: SQLSTATE in `code` (pg, PGlite), number in `number` (tedious). */
const withCode = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });
const withNumber = (number: number) => Object.assign(new Error(`error ${number}`), { number });
// mssql wraps tedious' RequestError; the number is found on originalError too.
const wrapped = (number: number) => Object.assign(new Error('wrapped'), { originalError: withNumber(number) });

describe('what a handler error means for its event', () => {
  it.each([
    ['P0001', 'rejected'], // RAISE EXCEPTION
    ['23505', 'rejected'], // unique_violation: the sale was applied before
    ['22P02', 'rejected'], // invalid text representation (bad uuid, bad JSON)
    ['22003', 'rejected'], // numeric out of range
    ['55P03', 'locked'], // lock_not_available (lock_timeout)
    ['40P01', 'transient'], // deadlock
    ['57P01', 'transient'], // admin shutdown
    ['42883', 'fault'], // undefined function: a deployment problem, not the event's
    ['42P01', 'fault'], // undefined table
    ['42501', 'fault'], // insufficient privilege
  ])('PostgreSQL %s -> %s', (code, kind) => {
    expect(classifyHandlerFailure(withCode(code))).toBe(kind);
  });

  it.each([
    [50001, 'rejected'], // THROW from the procedure
    [2627, 'rejected'], // duplicate key
    [547, 'rejected'], // constraint
    [13609, 'rejected'], // JSON text is not properly formatted
    [8169, 'rejected'], // not a uniqueidentifier
    [1222, 'locked'], // lock request time out
    [1205, 'transient'], // deadlock victim
    [2812, 'fault'], // procedure not found
    [229, 'fault'], // permission denied
  ])('SQL Server %i -> %s', (number, kind) => {
    expect(classifyHandlerFailure(withNumber(number))).toBe(kind);
    expect(classifyHandlerFailure(wrapped(number))).toBe(kind);
  });

  it('treats an error without a code as a server fault', () => {
    expect(classifyHandlerFailure(new Error('boom'))).toBe('fault');
    expect(classifyHandlerFailure('boom')).toBe('fault');
  });
});
