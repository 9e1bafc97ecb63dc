export type { Database, DialectName, IsolationLevel, QueryResult, Queryable, SqlParams, TransactionOptions } from './types.js';
export { describeDatabase, type DatabaseSettings, type MssqlSettings, type PostgresSettings, type PgliteSettings } from './settings.js';
export { openDatabase } from './open-database.js';
export { createPostgresDatabase } from './postgres.js';
export { createPgliteDatabase, wrapPglite } from './pglite.js';
export { createMssqlDatabase, mssqlConfig } from './mssql.js';
export { applySchema, findCommonDir, type SchemaRole, type SchemaRunOptions, type SchemaRunResult } from './schema-runner.js';
export { SCHEMA_SQL } from './schema-sql.js';
export { loadSqlScript } from './sql-script.js';
