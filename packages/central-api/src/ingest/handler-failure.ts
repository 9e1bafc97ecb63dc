import { classifyError, type DialectName } from '@goldpdv/core';

/**
 * What a handler's error means for its event:
 * - rejected: the event itself is wrong (bad data, constraint, the routine's own RAISE/THROW): 422, dead-letter;
 * - locked: a row it needs is held by a concurrent request: 409, retry the same event later;
 * - transient: the database is failing (deadlock, connection lost): 503 for the whole request;
 * - fault: the server is broken (routine missing, permission, syntax): 500, so that a bad deployment makes
 *   PDVs retry instead of dead-lettering every sale.
 */
export type HandlerFailureKind = 'rejected' | 'locked' | 'transient' | 'fault';

// SQLSTATE classes that describe the data: 22 data exception, 23 integrity constraint, P0 PL/pgSQL RAISE.
const POSTGRES_REJECTED_CLASSES = ['22', '23', 'P0'];
const POSTGRES_LOCK_TIMEOUT = '55P03';

// User errors (THROW/RAISERROR use 50000 and up) and errors caused by the values passed in.
const MSSQL_REJECTED_NUMBERS = new Set([
  515, // NULL into a NOT NULL column
  547, // FOREIGN KEY / CHECK constraint
  2601, 2627, // duplicate key (unique index / constraint)
  241, 242, 245, 8114, 8115, 8152, 8169, 2628, 9829, // conversion, overflow, truncation
  13608, 13609, // JSON path / JSON text not properly formatted
]);
const MSSQL_LOCK_TIMEOUT = 1222;

interface DriverError {
  code?: unknown;
  number?: unknown;
  originalError?: unknown;
  cause?: unknown;
}

export function classifyHandlerFailure(dialect: DialectName, error: unknown): HandlerFailureKind {
  const { code, number } = sqlErrorCode(error);
  if (dialect === 'postgres') {
    if (code === POSTGRES_LOCK_TIMEOUT) return 'locked';
    if (classifyError(error).transient) return 'transient';
    return code !== undefined && POSTGRES_REJECTED_CLASSES.includes(code.slice(0, 2)) ? 'rejected' : 'fault';
  }
  if (number === MSSQL_LOCK_TIMEOUT) return 'locked';
  if (classifyError(error).transient) return 'transient';
  return number !== undefined && (number >= 50_000 || MSSQL_REJECTED_NUMBERS.has(number)) ? 'rejected' : 'fault';
}

/** True when the error is a lock wait that ran out (lock_timeout / LOCK_TIMEOUT). */
export function isLockTimeout(dialect: DialectName, error: unknown): boolean {
  const { code, number } = sqlErrorCode(error);
  return dialect === 'postgres' ? code === POSTGRES_LOCK_TIMEOUT : number === MSSQL_LOCK_TIMEOUT;
}

/** The SQLSTATE (pg, PGlite) or error number (tedious) of a driver error, looking through its wrappers. */
function sqlErrorCode(error: unknown): { code?: string; number?: number } {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const shape = current as DriverError;
    if (typeof shape.number === 'number') return { number: shape.number };
    if (typeof shape.code === 'string' && /^[0-9A-Z]{5}$/.test(shape.code)) return { code: shape.code };
    current = shape.originalError ?? shape.cause;
  }
  return {};
}

/** The database's own message, first line only: it names the field or constraint, which is what a person needs. */
export function handlerErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').slice(0, 500);
}
