import pg from 'pg';
import type { Database, QueryResult, Queryable, SqlParams, TransactionOptions } from './types.js';
import type { PostgresSettings } from './settings.js';
import { ISOLATION_SQL, KEEP_AS_TEXT_OIDS } from './postgres-types.js';

const typeParsers = {
  getTypeParser(oid: number, format?: string) {
    if (KEEP_AS_TEXT_OIDS.includes(oid)) return (value: string) => value;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Where and how to connect, as node-postgres takes it: the pool's and any single connection's (LISTEN). */
export function postgresConnectionOptions(settings: PostgresSettings, applicationName: string) {
  return {
    connectionString: settings.connectionString,
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    query_timeout: settings.requestTimeoutMs,
    application_name: applicationName,
  };
}

/** PostgreSQL server dialect on a node-postgres pool. */
export function createPostgresDatabase(settings: PostgresSettings, applicationName = 'goldpdv-sync', idleTimeoutMs = 30_000): Database {
  const pool = new pg.Pool({
    ...postgresConnectionOptions(settings, applicationName),
    max: settings.poolMax,
    idleTimeoutMillis: idleTimeoutMs,
    options: '-c TimeZone=UTC',
    types: typeParsers,
  });
  // A pooled idle client whose backend dies emits 'error' on the pool; without a listener that kills the
  // process. The next checkout gets a fresh connection, so there is nothing to do but not crash.
  pool.on('error', () => {});

  const run = async <Row>(client: pg.Pool | pg.PoolClient, sql: string, params?: SqlParams): Promise<QueryResult<Row>> => {
    const result = await client.query(sql, params as unknown[] | undefined);
    // A multi-statement text returns one result per statement; the last one is what the caller asked for.
    const last = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
    return { rows: (last?.rows ?? []) as Row[], rowCount: last?.rowCount ?? 0 };
  };

  let closing: Promise<void> | undefined;
  return {
    dialect: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async transaction<T>(work: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      const client = await pool.connect();
      let broken: unknown;
      // A checked-out client whose backend dies (pg_terminate_backend, a server restart) emits 'error'; the
      // pool listens only to idle clients, and an 'error' with no listener ends the process. The query in
      // flight rejects on its own, so the listener only has to remember not to return the connection.
      const onConnectionError = (error: Error) => {
        broken = error;
      };
      client.on('error', onConnectionError);
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${ISOLATION_SQL[options.isolation ?? 'read committed']}`);
        const tx: Queryable = {
          dialect: 'postgres',
          query: (sql, params) => run(client, sql, params),
          executeScript: async (sql) => {
            await client.query(sql);
          },
        };
        const value = await work(tx);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.off('error', onConnectionError);
        // A connection that died or could not even roll back is not returned to the pool.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async executeScript(sql) {
      await pool.query(sql);
    },
    // One connection that is never closed for being idle while its job runs: its session state must last.
    dedicated: async ({ requestTimeoutMs }) => createPostgresDatabase({ ...settings, poolMax: 1, requestTimeoutMs }, applicationName, 0),
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
