import { applySchema, parseEnv, quoteIdentifier, tokenHash, type Database, type SqlParams } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../../packages/core/test/support/backends.js';
import { startCentralApi, type CentralApi } from '../../../packages/central-api/src/app.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema, type CentralConfig } from '../../../packages/central-api/src/config.js';
import { cleanupChangeLog, sampleServedTables, type DeltasConfig } from '../../../packages/central-api/src/deltas/index.js';
import { memoryLogger } from './pull-fixtures.js';

export const PDV = { pdvId: 'loja01-pdv01', lojaId: 1, token: 'token-loja01-pdv01-aaaaaaaaaaaa' } as const;
export const OTHER_PDV = { pdvId: 'loja02-pdv01', lojaId: 2, token: 'token-loja02-pdv01-bbbbbbbbbbbb' } as const;

/**
 * The real central API (packages/central-api, started as its main.ts does) on a real central database of
 * `backend`, listening on 127.0.0.1 port 0: what pull-service talks to in production, in this process.
 */
export interface CentralRig {
  db: Database;
  url: string;
  /** A statement written with $1..$n (turned into @p1.. on SQL Server). */
  exec(sql: string, params?: SqlParams): Promise<Record<string, unknown>[]>;
  /**
   * Drops the tracked changes, as retention would, and raises the tables' minimum valid version; returns how many
   * change-log entries (PostgreSQL) or tracked tables (SQL Server) it dropped. PostgreSQL runs the change-log
   * retention with a cutoff in the future: a table whose entries were deleted gets the highest deleted version + 1
   * as its minimum. SQL Server has no way to run its cleanup on demand, so each tracked table's Change Tracking is
   * turned off and on again, which drops its tracking data and sets its minimum valid version to the version
   * current when it is enabled again: every table, changed or not, ends above every checkpoint served before.
   */
  forceRetention(): Promise<number>;
  /**
   * Runs `write` while `table` is not tracked, then tracks it again: rows that were there before tracking began,
   * as in a catalog whose Change Tracking is turned on after the fact.
   */
  writeUntracked(table: string, keyColumns: readonly string[], write: () => Promise<unknown>): Promise<void>;
  /** What an operator runs after a restore or a failover: the database becomes another incarnation. */
  markRestore(note: string): Promise<void>;
  close(): Promise<void>;
}

export async function startCentral(backend: Backend, config: Partial<DeltasConfig> = {}, logLevel: 'trace' | 'info' = 'trace', centralEnv: Record<string, string> = {}): Promise<CentralRig> {
  const database: TestDatabase = await backend.create();
  const { db } = database;
  const logs = memoryLogger(logLevel);
  let api: CentralApi | undefined;
  const exec = async (sql: string, params: SqlParams = []) => (await db.query(db.dialect === 'mssql' ? sql.replace(/\$(\d+)/g, '@p$1') : sql, params)).rows;
  try {
    await applySchema(db, { role: 'central' });
    await exec('INSERT INTO loja (loja_id, nome) VALUES (1, $1), (2, $2)', ['Loja Centro', 'Loja São José']);
    for (const pdv of [PDV, OTHER_PDV]) {
      await exec('INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES ($1, $2, $3)', [pdv.pdvId, pdv.lojaId, tokenHash(pdv.token)]);
    }
    const deltas: DeltasConfig = {
      SERVED_TABLES_FILE: sampleServedTables(),
      // Strict: pull-service must send Sync-Contract: 2, or these tests fail.
      PULL_CONTRACT_V1: false,
      CHANGES_MAX_WAIT_MS: 25_000,
      CHANGES_STREAM_MAX_MS: 300_000,
      CHANGES_POLL_INTERVAL_MS: 20,
      CHANGES_IDLE_CHECK_MS: 5_000,
      CHANGES_NOTIFIED_GAP_MS: 20,
      LONG_POLLS_MAX: 20_000,
      SNAPSHOTS_MAX_CONCURRENT: 8,
      SHARED_PAGES_MAX_MB: 64,
      SHARED_PAGES_MAX_AGE_MS: 60_000,
      CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 0,
      TABLE_REGISTRY_TTL_MS: 0,
      SYNC_TOKEN_KEYS_TTL_MS: 0,
      ...config,
    };
    // The deltas settings ride on the API's config object, which is where the pull routes look for them first.
    const centralConfig: CentralConfig & DeltasConfig = { ...parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0', ...centralEnv }, CENTRAL_SECRET_VARIABLES), ...deltas };
    api = await startCentralApi(centralConfig, db, logs.sync.logger);
    const live = api;
    return {
      db,
      url: `http://127.0.0.1:${api.port}`,
      exec,
      async forceRetention() {
        if (db.dialect !== 'mssql') return (await cleanupChangeLog(db, { cutoff: new Date(Date.now() + 3_600_000) })).deleted;
        const tracked = await exec(`SELECT OBJECT_NAME(t.object_id) AS name FROM sys.change_tracking_tables AS t WHERE OBJECT_SCHEMA_NAME(t.object_id) = N'dbo'`);
        for (const { name } of tracked) {
          const table = `dbo.${quoteIdentifier('mssql', String(name))}`;
          await db.executeScript(`ALTER TABLE ${table} DISABLE CHANGE_TRACKING;\nALTER TABLE ${table} ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);`);
        }
        return tracked.length;
      },
      async writeUntracked(table, keyColumns, write) {
        if (db.dialect === 'mssql') {
          await db.executeScript(`ALTER TABLE dbo.${table} DISABLE CHANGE_TRACKING;`);
          await write();
          await db.executeScript(`ALTER TABLE dbo.${table} ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);`);
          return;
        }
        await db.executeScript(`DROP TRIGGER sync_track_change ON ${table};`);
        await write();
        await exec('SELECT sync_enable_tracking($1::regclass, $2::text[])', [table, [...keyColumns]]);
      },
      async markRestore(note) {
        await exec(db.dialect === 'mssql' ? 'EXEC dbo.sync_mark_restore @note = $1' : 'SELECT sync_mark_restore($1)', [note]);
      },
      async close() {
        await live.stop(500);
        await logs.sync.close();
        await database.dispose();
      },
    };
  } catch (error) {
    await api?.stop(0);
    await logs.sync.close();
    await database.dispose();
    throw error;
  }
}
