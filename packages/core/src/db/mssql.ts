import sql from 'mssql';
import type { Database, IsolationLevel, QueryResult, Queryable, SqlParams, TransactionOptions } from './types.js';
import type { MssqlSettings } from './settings.js';

const ISOLATION: Record<IsolationLevel, number> = {
  'read committed': sql.ISOLATION_LEVEL.READ_COMMITTED,
  'repeatable read': sql.ISOLATION_LEVEL.REPEATABLE_READ,
  serializable: sql.ISOLATION_LEVEL.SERIALIZABLE,
  snapshot: sql.ISOLATION_LEVEL.SNAPSHOT,
};

export function mssqlConfig(settings: MssqlSettings, applicationName: string): sql.config {
  return {
    server: settings.server,
    // With a named instance the SQL Browser service says which port to use; a fixed port would override it.
    port: settings.instanceName ? undefined : settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    pool: { max: settings.poolMax, min: 0, idleTimeoutMillis: 30_000 },
    options: {
      encrypt: settings.encrypt,
      trustServerCertificate: settings.trustServerCertificate,
      instanceName: settings.instanceName,
      appName: applicationName,
      useUTC: true,
      enableArithAbort: true,
    },
  };
}

/**
 * SQL Server dialect on mssql (tedious). Parameters are bound as @p1..@pn from the positional array; a value
 * may also be an mssql `Table` (a TVP) for set-based writes.
 */
export function createMssqlDatabase(settings: MssqlSettings, applicationName = 'goldpdv-sync'): Database {
  const pool = new sql.ConnectionPool(mssqlConfig(settings, applicationName));
  // Errors of idle connections surface here; requests get their own errors, so this must only not crash.
  pool.on('error', () => {});
  let connecting: Promise<sql.ConnectionPool> | undefined;
  const connected = () => {
    // A failed first connect must not poison the pool forever: forget the promise so the next call retries.
    connecting ??= pool.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };

  const run = async <Row>(request: sql.Request, text: string, params?: SqlParams): Promise<QueryResult<Row>> => {
    (params ?? []).forEach((value, index) => request.input(`p${index + 1}`, value as never));
    const result = await request.query<Row>(text);
    return { rows: (result.recordset ?? []) as Row[], rowCount: result.rowsAffected.reduce((sum, n) => sum + n, 0) };
  };

  let closing: Promise<void> | undefined;
  return {
    dialect: 'mssql',
    async query(text, params) {
      return run((await connected()).request(), text, params);
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      const transaction = new sql.Transaction(await connected());
      await transaction.begin(ISOLATION[options.isolation ?? 'read committed'] as never);
      try {
        const value = await work({
          dialect: 'mssql',
          query: (text, params) => run(transaction.request(), text, params),
          executeScript: async (text) => {
            await transaction.request().batch(text);
          },
        });
        await transaction.commit();
        return value;
      } catch (error) {
        // XACT_ABORT-style errors may have rolled back already; a failed rollback must not hide the cause.
        await transaction.rollback().catch(() => {});
        throw error;
      }
    },
    async executeScript(text) {
      await (await connected()).request().batch(text);
    },
    close() {
      closing ??= pool.close().then(() => undefined);
      return closing;
    },
  };
}
