import sql from 'mssql';
import { PermanentError } from '../errors/index.js';
import type { Database, IsolationLevel, QueryResult, Queryable, SqlParams, TransactionOptions } from './types.js';
import type { MssqlSettings } from './settings.js';

const ISOLATION: Record<IsolationLevel, number> = {
  'read committed': sql.ISOLATION_LEVEL.READ_COMMITTED,
  'repeatable read': sql.ISOLATION_LEVEL.REPEATABLE_READ,
  serializable: sql.ISOLATION_LEVEL.SERIALIZABLE,
  snapshot: sql.ISOLATION_LEVEL.SNAPSHOT,
};

export function mssqlConfig(settings: MssqlSettings, applicationName: string, idleTimeoutMs = 30_000): sql.config {
  return {
    server: settings.server,
    // With a named instance the SQL Browser service says which port to use; a fixed port would override it.
    port: settings.instanceName ? undefined : settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    pool: { max: settings.poolMax, min: 0, idleTimeoutMillis: idleTimeoutMs },
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
 * Session settings a transaction may change (isolation, LOCK_TIMEOUT, DEADLOCK_PRIORITY, ROWCOUNT, XACT_ABORT),
 * and the statement that puts them back. mssql does not reset a
 * connection when it returns to the pool, so a SNAPSHOT isolation level or a LOCK_TIMEOUT set by one transaction
 * would stay on for every later statement on that connection (and READPAST is refused under SNAPSHOT). Each
 * transaction that changed one puts it back before it ends. Leaving SNAPSHOT for READ COMMITTED inside a
 * transaction that started as SNAPSHOT is allowed; only the way into SNAPSHOT is not.
 * IDENTITY_INSERT counts too: its user turns it off itself (naming the table), but when the server ends the
 * transaction, that may not get through, and the connection is then closed rather than handed on with it on.
 */
const SESSION_SETTING = /\bSET\s+(?:LOCK_TIMEOUT|DEADLOCK_PRIORITY|ROWCOUNT|XACT_ABORT|IDENTITY_INSERT|TRANSACTION\s+ISOLATION\s+LEVEL)\b/i;
export const RESET_SESSION_SETTINGS = 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SET LOCK_TIMEOUT -1; SET DEADLOCK_PRIORITY NORMAL; SET ROWCOUNT 0; SET XACT_ABORT OFF;';

/**
 * SQL Server dialect on mssql (tedious). Parameters are bound as @p1..@pn from the positional array; a value
 * may also be an mssql `Table` (a TVP) for set-based writes.
 */
export function createMssqlDatabase(settings: MssqlSettings, applicationName = 'goldpdv-sync', idleTimeoutMs = 30_000): Database {
  const pool = new sql.ConnectionPool(mssqlConfig(settings, applicationName, idleTimeoutMs));
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
      // Outside a transaction nothing would put the setting back before the connection returns to the pool.
      if (SESSION_SETTING.test(text)) throw new PermanentError('a statement that changes a session setting must run in a transaction, which resets it', { context: { statement: text.slice(0, 200) } });
      return run((await connected()).request(), text, params);
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      const isolation = options.isolation ?? 'read committed';
      const transaction = new sql.Transaction(await connected());
      await transaction.begin(ISOLATION[isolation] as never);
      let changedSession = isolation !== 'read committed';
      const resetSession = async (): Promise<void> => {
        if (changedSession) await transaction.request().batch(RESET_SESSION_SETTINGS);
      };
      // When the server ends the transaction itself (a deadlock victim, XACT_ABORT, a doomed transaction, which
      // it rolls back at the end of the batch), mssql hands the connection back to the pool at once, before any
      // reset could run on it. A connection whose session settings were changed is then closed instead: the
      // pool's validation drops a closed connection, and the next user gets a fresh one.
      const physical = (transaction as unknown as { _acquiredConnection?: { close(): void } | null })._acquiredConnection ?? null;
      transaction.once('rollback', (aborted: boolean) => {
        if (aborted && changedSession) physical?.close();
      });
      try {
        const value = await work({
          dialect: 'mssql',
          query: (text, params) => {
            changedSession ||= SESSION_SETTING.test(text);
            return run(transaction.request(), text, params);
          },
          executeScript: async (text) => {
            changedSession ||= SESSION_SETTING.test(text);
            await transaction.request().batch(text);
          },
        });
        await resetSession();
        await transaction.commit();
        return value;
      } catch (error) {
        // Still open (a statement failed, the transaction did not): put the settings back before the rollback.
        // Ended by the server: the reset fails (EABORT), and the 'rollback' listener above closed the connection.
        await resetSession().catch(() => {});
        // XACT_ABORT-style errors may have rolled back already; a failed rollback must not hide the cause.
        await transaction.rollback().catch(() => {});
        throw error;
      }
    },
    async executeScript(text) {
      await (await connected()).request().batch(text);
    },
    // One connection that is never closed for being idle while its job runs: its session state must last.
    dedicated: async ({ requestTimeoutMs }) => createMssqlDatabase({ ...settings, poolMax: 1, requestTimeoutMs }, applicationName, 2 ** 31 - 1),
    close() {
      closing ??= pool.close().then(() => undefined);
      return closing;
    },
  };
}
