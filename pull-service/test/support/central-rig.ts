import { applySchema, parseEnv, tokenHash, type Database, type SqlParams } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../../packages/core/test/support/backends.js';
import { startCentralApi, type CentralApi } from '../../../packages/central-api/src/app.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema, type CentralConfig } from '../../../packages/central-api/src/config.js';
import { cleanupChangeLog, type DeltasConfig } from '../../../packages/central-api/src/deltas/index.js';
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
  /** Deletes the whole change log and raises every table's minimum valid version: every client must re-snapshot. */
  forceRetention(): Promise<number>;
  close(): Promise<void>;
}

export async function startCentral(backend: Backend, config: Partial<DeltasConfig> = {}, logLevel: 'trace' | 'info' = 'trace'): Promise<CentralRig> {
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
      ROW_FILTERS: [{ table: 'preco_loja', column: 'loja_id' }],
      CHANGES_MAX_WAIT_MS: 25_000,
      CHANGES_POLL_INTERVAL_MS: 20,
      CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 0,
      TABLE_REGISTRY_TTL_MS: 0,
      ...config,
    };
    // The deltas settings ride on the API's config object, which is where the pull routes look for them first.
    const centralConfig: CentralConfig & DeltasConfig = { ...parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' }, CENTRAL_SECRET_VARIABLES), ...deltas };
    api = await startCentralApi(centralConfig, db, logs.sync.logger);
    const live = api;
    return {
      db,
      url: `http://127.0.0.1:${api.port}`,
      exec,
      async forceRetention() {
        return (await cleanupChangeLog(db, { cutoff: new Date(Date.now() + 3_600_000) })).deleted;
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
