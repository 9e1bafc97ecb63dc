import { ConfigError } from '../errors/index.js';
import { driverErrorFacts } from './driver-error.js';
import type { DatabaseSettings } from './settings.js';
import type { Database } from './types.js';

/**
 * Checks, once at start, that the configured database is one this project can run on, and stops with a
 * ConfigError (exit 2, one line) where waiting would never help:
 * - the database does not exist, or the login may not open it: SQL Server error 4060, PostgreSQL 3D000. On Azure
 *   SQL Database 4060 also shows up for a moment during a failover, so there it is left to the retries;
 * - SQL Server compatibility level below 130: OPENJSON, which every pull and push statement uses, fails with
 *   error 208 below it. Old POS databases restored onto newer servers often keep 100 to 120;
 * - PostgreSQL older than 13, which has no xid8 (the change log's versions).
 * Any other failure (the server is down, a timeout) is thrown as it is, for the caller to retry.
 */
export interface DatabaseIdentity {
  database: string;
  /** SQL Server compatibility level, or PostgreSQL's server_version_num. */
  level: number;
}

export const MIN_MSSQL_COMPATIBILITY_LEVEL = 130;
export const MIN_POSTGRES_VERSION_NUM = 130_000;

export const DATABASE_PROBE = {
  mssql: `SELECT DB_NAME() AS database_name, CAST(compatibility_level AS int) AS level FROM sys.databases WHERE database_id = DB_ID();`,
  postgres: `SELECT current_database() AS database_name, current_setting('server_version_num')::int AS level`,
} as const;

export async function checkDatabaseAtStart(db: Database, settings: DatabaseSettings): Promise<DatabaseIdentity> {
  let row: { database_name: string; level: number | string } | undefined;
  try {
    row = (await db.query<{ database_name: string; level: number | string }>(DATABASE_PROBE[db.dialect])).rows[0];
  } catch (error) {
    const missing = missingDatabaseMessage(error, settings);
    if (missing !== null) throw new ConfigError('DB_NAME', missing, { cause: error });
    throw error;
  }
  const identity = { database: row?.database_name ?? '?', level: Number(row?.level ?? 0) };
  const problem = compatibilityProblem(db.dialect, identity);
  if (problem !== null) throw new ConfigError('DB_NAME', problem);
  return identity;
}

/** The one line for a database that is too old for this project, or null. Exported for its unit test. */
export function compatibilityProblem(dialect: Database['dialect'], identity: DatabaseIdentity): string | null {
  if (dialect === 'mssql' && identity.level < MIN_MSSQL_COMPATIBILITY_LEVEL) {
    return `DB_NAME: database ${identity.database} has compatibility level ${identity.level}; OPENJSON, which every sync statement uses, needs ${MIN_MSSQL_COMPATIBILITY_LEVEL} or higher. Fix: ALTER DATABASE [${identity.database}] SET COMPATIBILITY_LEVEL = ${MIN_MSSQL_COMPATIBILITY_LEVEL} (or the highest the server offers), once the POS software is known to work with it`;
  }
  if (dialect === 'postgres' && identity.level < MIN_POSTGRES_VERSION_NUM) {
    return `DB_NAME: database ${identity.database} is on PostgreSQL ${Math.floor(identity.level / 10_000)}; the change log needs PostgreSQL 13 or newer (xid8). Fix: upgrade the server`;
  }
  return null;
}

function missingDatabaseMessage(error: unknown, settings: DatabaseSettings): string | null {
  const facts = driverErrorFacts(error);
  const name = databaseName(settings);
  if (facts.sqlState === '3D000') {
    return `DB_NAME: expected a database that exists on the server; found none named ${JSON.stringify(name)} (PostgreSQL 3D000: ${facts.message.split('\n')[0]})`;
  }
  const cannotOpen = facts.number === 4060 || /Cannot open database/i.test(facts.message);
  if (cannotOpen && !(settings.kind === 'mssql' && isAzureSqlDatabase(settings.server))) {
    return `DB_NAME: expected a database this login can open; SQL Server cannot open ${JSON.stringify(name)} (error 4060: it does not exist, or the login has no user in it)`;
  }
  return null;
}

/** Azure SQL Database answers 4060 for a moment during a failover; there it is worth retrying. */
function isAzureSqlDatabase(server: string): boolean {
  return /\.database\.(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/i.test(server);
}

function databaseName(settings: DatabaseSettings): string {
  if (settings.kind === 'pglite') return '(embedded)';
  if (settings.database) return settings.database;
  if (settings.kind === 'postgres' && settings.connectionString) {
    try {
      return decodeURIComponent(new URL(settings.connectionString).pathname.replace(/^\//, '')) || '(the login default)';
    } catch {
      // not a URL form of connection string
    }
  }
  return '(the login default)';
}
