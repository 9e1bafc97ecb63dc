import { classifyError, driverErrorFacts, isLockTimeout } from '@goldpdv/core';

/**
 * What a handler's error means for its event:
 * - rejected: the event itself is wrong (bad data, constraint, the routine's own RAISE/THROW): 422, dead-letter;
 * - locked: a row it needs is held by a concurrent request: 409, retry the same event later;
 * - transient: the database is failing (deadlock, connection lost): 503 for the whole request;
 * - fault: the server is broken (routine missing, permission, syntax): 500, so that a bad deployment makes
 *   PDVs retry instead of dead-lettering every sale.
 */
export type HandlerFailureKind = 'rejected' | 'locked' | 'transient' | 'fault';

// PostgreSQL SQLSTATE classes that describe the data: 22 data exception, 23 integrity constraint, P0 PL/pgSQL RAISE.
const POSTGRES_REJECTED_CLASSES = ['22', '23', 'P0'];

// SQL Server user errors (THROW/RAISERROR use 50000 and up) and errors caused by the values passed in.
const MSSQL_FIRST_USER_ERROR = 50_000;
const MSSQL_REJECTED_NUMBERS = new Set([
  515, // NULL into a NOT NULL column
  547, // FOREIGN KEY / CHECK constraint
  2601, 2627, // duplicate key (unique index / constraint)
  241, 242, 245, 8114, 8115, 8152, 8169, 2628, 9829, // conversion, overflow, truncation
  13608, 13609, // JSON path / JSON text not properly formatted
]);

/** Reads the driver's SQLSTATE (pg, PGlite) or error number (tedious) through its wrappers, with core's walker. */
export function classifyHandlerFailure(error: unknown): HandlerFailureKind {
  if (isLockTimeout(error)) return 'locked';
  if (classifyError(error).transient) return 'transient';
  const { sqlState, number } = driverErrorFacts(error);
  if (sqlState !== null) return POSTGRES_REJECTED_CLASSES.includes(sqlState.slice(0, 2)) ? 'rejected' : 'fault';
  if (number !== null) return number >= MSSQL_FIRST_USER_ERROR || MSSQL_REJECTED_NUMBERS.has(number) ? 'rejected' : 'fault';
  return 'fault';
}

/** The database's own message, first line only: it names the field or constraint, which is what a person needs. */
export function handlerErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').slice(0, 500);
}
