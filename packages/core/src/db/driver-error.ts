/**
 * What a database driver says about a failed statement, found the same way for every driver: pg and PGlite
 * put a five-character SQLSTATE in `code`, mssql/tedious an error `number`, and both wrap the driver's own error
 * in `cause`, `originalError`, `precedingErrors` or an AggregateError's `errors`. Every place that reads a
 * driver error (retry classification, rejected rows, handler failures) goes through this one walker.
 */
export interface DriverErrorFacts {
  /** PostgreSQL SQLSTATE, e.g. "23503"; null on SQL Server. */
  sqlState: string | null;
  /** SQL Server error number, e.g. 547; null on PostgreSQL. */
  number: number | null;
  /** The SQLSTATE, or the number as text: "23503", "547". Null when no driver error is in the chain. */
  code: string | null;
  message: string;
  /** PostgreSQL's DETAIL field ("Key (id)=(1) is not present in table ..."). */
  detail: string | null;
  /** PostgreSQL's column field, where the server names the column at fault. */
  column: string | null;
}

/** An error or one of its wrappers, as far as the walker reads it. */
export interface ErrorShape {
  code?: unknown;
  number?: unknown;
  message?: unknown;
  detail?: unknown;
  column?: unknown;
  cause?: unknown;
  originalError?: unknown;
  precedingErrors?: unknown;
  errors?: unknown;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
/** Bounds the walk: a cause chain with a cycle, or a pathological one, must not hang the caller. */
const MAX_ERRORS_WALKED = 32;

/** Breadth-first over cause / originalError / precedingErrors / AggregateError.errors, the root first. */
export function* walkErrorChain(root: unknown): Generator<ErrorShape> {
  const queue: unknown[] = [root];
  const seen = new Set<unknown>();
  while (queue.length > 0 && seen.size < MAX_ERRORS_WALKED) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const shape = current as ErrorShape;
    yield shape;
    queue.push(shape.cause, shape.originalError);
    if (Array.isArray(shape.precedingErrors)) queue.push(...(shape.precedingErrors as unknown[]));
    if (Array.isArray(shape.errors)) queue.push(...(shape.errors as unknown[]));
  }
}

/** The first error in the chain that carries a SQLSTATE or a SQL Server number, or the root's message alone. */
export function driverErrorFacts(error: unknown): DriverErrorFacts {
  for (const shape of walkErrorChain(error)) {
    const number = typeof shape.number === 'number' ? shape.number : null;
    const sqlState = number === null && typeof shape.code === 'string' && SQLSTATE.test(shape.code) ? shape.code : null;
    if (number === null && sqlState === null) continue;
    return {
      sqlState,
      number,
      code: sqlState ?? String(number),
      message: typeof shape.message === 'string' ? shape.message : String(shape.message ?? ''),
      detail: typeof shape.detail === 'string' ? shape.detail : null,
      column: typeof shape.column === 'string' ? shape.column : null,
    };
  }
  return { sqlState: null, number: null, code: null, message: error instanceof Error ? error.message : String(error), detail: null, column: null };
}

/** "23503 insert ... violates foreign key ... (Key (x)=(1) ...)": code, message and detail, bounded. */
export function describeDriverError(error: unknown, maxLength = 1_000): string {
  const facts = driverErrorFacts(error);
  return `${facts.code ? `${facts.code} ` : ''}${facts.message}${facts.detail ? ` (${facts.detail})` : ''}`.slice(0, maxLength);
}

/** A foreign key violation: 23503 on PostgreSQL; 547 on SQL Server, which also uses 547 for CHECK constraints. */
export function isForeignKeyViolation(error: unknown): boolean {
  const facts = driverErrorFacts(error);
  return facts.sqlState === '23503' || (facts.number === 547 && /FOREIGN KEY|REFERENCE/i.test(facts.message));
}

/** A lock wait that ran out: lock_timeout (55P03) on PostgreSQL, LOCK_TIMEOUT (1222) on SQL Server. */
export function isLockTimeout(error: unknown): boolean {
  const facts = driverErrorFacts(error);
  return facts.sqlState === '55P03' || facts.number === 1222;
}
