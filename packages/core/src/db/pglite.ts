import type { PGlite } from '@electric-sql/pglite';
import { startPglite } from './pglite-start.js';
import type { Database, QueryResult, Queryable, SqlParams, TransactionOptions } from './types.js';
import type { PgliteSettings } from './settings.js';
import { ISOLATION_SQL, KEEP_AS_TEXT_OIDS, PG_OID } from './postgres-types.js';

const parsers: Record<number, (value: string) => unknown> = Object.fromEntries(
  KEEP_AS_TEXT_OIDS.map((oid) => [oid, (value: string) => value]),
);

/**
 * Embedded PGlite (PostgreSQL in WebAssembly) behind the same interface as the server dialect. It has a single
 * connection: PGlite queues concurrent calls, so transactions from different callers run one after another.
 */
export async function createPgliteDatabase(settings: PgliteSettings): Promise<Database> {
  const pglite = await startPglite(settings.dataDir, { parsers });
  await pglite.exec(`SET TIME ZONE 'UTC'`);
  return wrapPglite(pglite);
}

export function wrapPglite(pglite: PGlite): Database {
  const run = async <Row>(target: Pick<PGlite, 'query'>, sql: string, params?: SqlParams): Promise<QueryResult<Row>> => {
    const result = await target.query<Row>(sql, params as unknown[] | undefined);
    const rows = result.rows.map((row) => normaliseBytea(row, result.fields));
    return { rows, rowCount: result.affectedRows ?? 0 };
  };
  let closing: Promise<void> | undefined;
  const database: Database = {
    dialect: 'postgres',
    query: (sql, params) => run(pglite, sql, params),
    transaction<T>(work: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      return pglite.transaction(async (inner) => {
        await inner.query(`SET TRANSACTION ISOLATION LEVEL ${ISOLATION_SQL[options.isolation ?? 'read committed']}`);
        return work({
          dialect: 'postgres',
          query: (sql, params) => run(inner, sql, params),
          executeScript: async (sql) => {
            await inner.exec(sql);
          },
        });
      });
    },
    async executeScript(sql) {
      await pglite.exec(sql);
    },
    // PGlite has a single connection already; the dedicated handle shares it and leaves it open on close.
    dedicated: async () => ({ ...database, close: async () => {} }),
    close() {
      closing ??= pglite.closed ? Promise.resolve() : pglite.close();
      return closing;
    },
  };
  return database;
}

/** node-postgres returns bytea as Buffer; PGlite as Uint8Array. Buffer it is, for both. */
function normaliseBytea<Row>(row: Row, fields: readonly { name: string; dataTypeID: number }[]): Row {
  for (const field of fields) {
    if (field.dataTypeID !== PG_OID.BYTEA) continue;
    const record = row as Record<string, unknown>;
    const value = record[field.name];
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
      record[field.name] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return row;
}
