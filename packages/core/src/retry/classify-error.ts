import { walkErrorChain, type ErrorShape } from '../db/driver-error.js';
import { SyncError } from '../errors/index.js';
import {
  MSSQL_TRANSIENT_CODES,
  MSSQL_TRANSIENT_NUMBERS,
  NETWORK_TRANSIENT_CODES,
  POSTGRES_CONNECTION_LOST_MESSAGES,
  POSTGRES_TRANSIENT_CLASS_PREFIX,
  POSTGRES_TRANSIENT_SQLSTATES,
} from './transient-codes.js';

export interface ErrorClassification {
  transient: boolean;
  /** Short machine-friendly reason, e.g. "pg:40P01", "mssql:1205", "net:ECONNRESET", "typed:permanent". */
  reason: string;
}

/**
 * Decides whether an error from a real driver (pg, PGlite, mssql/tedious, node:http, axios) is worth
 * retrying. Our own typed errors decide for themselves; otherwise the error, its `cause` chain, mssql's
 * `originalError` and AggregateError members are inspected, and the first known transient code wins.
 */
export function classifyError(error: unknown): ErrorClassification {
  if (error instanceof SyncError) {
    return { transient: error.kind === 'transient', reason: `typed:${error.kind}` };
  }
  for (const candidate of walkErrorChain(error)) {
    const reason = transientReason(candidate);
    if (reason) return { transient: true, reason };
  }
  return { transient: false, reason: 'unclassified' };
}

export function isTransientError(error: unknown): boolean {
  return classifyError(error).transient;
}

function transientReason(error: ErrorShape): string | null {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (typeof error.number === 'number' && MSSQL_TRANSIENT_NUMBERS.has(error.number)) return `mssql:${error.number}`;
  if (code !== undefined) {
    if (POSTGRES_TRANSIENT_SQLSTATES.has(code)) return `pg:${code}`;
    if (/^[0-9A-Z]{5}$/.test(code) && code.startsWith(POSTGRES_TRANSIENT_CLASS_PREFIX)) return `pg:${code}`;
    if (NETWORK_TRANSIENT_CODES.has(code)) return `net:${code}`;
    if (MSSQL_TRANSIENT_CODES.has(code)) return `mssql:${code}`;
  }
  const message = typeof error.message === 'string' ? error.message : '';
  if (POSTGRES_CONNECTION_LOST_MESSAGES.some((known) => message.startsWith(known))) return 'pg:connection-lost';
  return null;
}
