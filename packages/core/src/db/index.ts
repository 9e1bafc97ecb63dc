export type { Database, DedicatedOptions, DialectName, IsolationLevel, QueryResult, Queryable, SqlParams, TransactionOptions } from './types.js';
export { describeDatabase, type DatabaseSettings, type MssqlSettings, type PostgresSettings, type PgliteSettings } from './settings.js';
export { openDatabase } from './open-database.js';
export { createPostgresDatabase, postgresConnectionOptions } from './postgres.js';
export { NotificationListener, notificationListenerFor, type NotificationListenerOptions } from './notification-listener.js';
// The SQL Server dialect (./mssql.js) is not exported here: openDatabase loads it when a URL asks for it, so that
// a process on PostgreSQL never loads the mssql driver.
export { applySchema, findCommonDir, type SchemaRole, type SchemaRunOptions, type SchemaRunResult } from './schema-runner.js';
export { carryHistoryForward, SCRIPT_HISTORY, type ScriptHistory } from './script-history.js';
export { SCHEMA_SQL } from './schema-sql.js';
export { loadSqlScript } from './sql-script.js';
export { describeDriverError, driverErrorFacts, isForeignKeyViolation, isLockTimeout, walkErrorChain, type DriverErrorFacts, type ErrorShape } from './driver-error.js';
export { identifierProblem, InvalidIdentifierError, MAX_IDENTIFIER_LENGTH, quoteIdentifier, quoteNameLiteral, quoteQualifiedName } from './identifiers.js';
export { checkDatabaseAtStart, compatibilityProblem, MIN_MSSQL_COMPATIBILITY_LEVEL, MIN_POSTGRES_VERSION_NUM, type DatabaseIdentity } from './startup-check.js';
