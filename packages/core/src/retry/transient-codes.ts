/**
 * Driver error codes that mean "try again, the same call can succeed". Everything else is permanent: a retry
 * of a constraint violation or a syntax error only hides the bug and delays the dead letter.
 */

/** SQL Server error numbers (tedious `RequestError.number`). */
export const MSSQL_TRANSIENT_NUMBERS: ReadonlySet<number> = new Set([
  1205, // deadlock victim
  1222, // lock request timeout
  3960, // snapshot isolation update conflict
  // Azure SQL / failover: database or server temporarily unavailable, resource governance, failover in progress.
  4060, 4221, 40143, 40197, 40501, 40540, 40613, 42108, 42109, 49918, 49919, 49920, 10928, 10929,
  // Transport level errors seen as SQL numbers.
  64, 233, 10053, 10054, 10060, 11001,
  // The database is being recovered / in transition after a restart or failover.
  922, 942, 952, 983, 976, 978, 615,
]);

/** tedious / mssql connection-level codes. */
export const MSSQL_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ESOCKET', 'ETIMEOUT', 'ECONNCLOSED', 'ECONNRESET', 'ELOGIN_TRANSIENT', 'ENOCONN', 'ECONNREFUSED',
]);

/** PostgreSQL SQLSTATEs. Class 08 (connection exception) is matched by prefix. */
export const POSTGRES_TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown (also pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (server starting up)
  '53300', // too_many_connections
  '55P03', // lock_not_available
]);
export const POSTGRES_TRANSIENT_CLASS_PREFIX = '08';

/** Node.js / undici network error codes. */
export const NETWORK_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED', 'ENETUNREACH',
  'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'ECONNABORTED',
]);

/**
 * node-postgres reports a connection dropped under a query with no SQLSTATE, only a message. These are the
 * messages it uses for that case (pg/lib/client.js).
 */
export const POSTGRES_CONNECTION_LOST_MESSAGES: readonly string[] = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
];
