import { applySchema, tokenHash, type Database, type SqlParams } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../../packages/core/test/support/backends.js';
import { createAuthenticator } from '../../../packages/central-api/src/auth.js';
import { cleanupChangeLog, deltaRoutes, type DeltasConfig } from '../../../packages/central-api/src/deltas/index.js';
import { createCentralServer, type CentralServer } from '../../../packages/central-api/src/server.js';
import { memoryLogger } from './pull-fixtures.js';

export const PDV = { pdvId: 'loja01-pdv01', lojaId: 1, token: 'token-loja01-pdv01-aaaaaaaaaaaa' } as const;
export const OTHER_PDV = { pdvId: 'loja02-pdv01', lojaId: 2, token: 'token-loja02-pdv01-bbbbbbbbbbbb' } as const;

/**
 * The real central API's pull routes (packages/central-api deltas) on a real central database of `backend`,
 * served on 127.0.0.1 port 0: what pull-service talks to in production, minus the process around it.
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

export async function startCentral(backend: Backend, config: Partial<DeltasConfig> = {}): Promise<CentralRig> {
  const database: TestDatabase = await backend.create();
  const { db } = database;
  const logs = memoryLogger();
  let server: CentralServer | undefined;
  let stopping = false;
  const exec = async (sql: string, params: SqlParams = []) => (await db.query(db.dialect === 'mssql' ? sql.replace(/\$(\d+)/g, '@p$1') : sql, params)).rows;
  try {
    await applySchema(db, { role: 'central' });
    await exec('INSERT INTO loja (loja_id, nome) VALUES (1, $1), (2, $2)', ['Loja Centro', 'Loja São José']);
    for (const pdv of [PDV, OTHER_PDV]) {
      await exec('INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES ($1, $2, $3)', [pdv.pdvId, pdv.lojaId, tokenHash(pdv.token)]);
    }
    const logger = logs.sync.logger;
    const routes = deltaRoutes({
      db,
      config: {
        ROW_FILTERS: [{ table: 'preco_loja', column: 'loja_id' }],
        CHANGES_MAX_WAIT_MS: 25_000,
        CHANGES_POLL_INTERVAL_MS: 20,
        CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 0,
        TABLE_REGISTRY_TTL_MS: 0,
        ...config,
      },
      logger,
      auth: createAuthenticator(db, { cacheTtlMs: 60_000 }),
      stopping: () => stopping,
    });
    server = createCentralServer({ routes, logger, maxBodyBytes: 1_048_576, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 65_000, retryAfterSeconds: 1 });
    const port = await server.listen(0, '127.0.0.1');
    const live = server;
    return {
      db,
      url: `http://127.0.0.1:${port}`,
      exec,
      async forceRetention() {
        return (await cleanupChangeLog(db, { cutoff: new Date(Date.now() + 3_600_000) })).deleted;
      },
      async close() {
        stopping = true;
        await live.stop(500);
        await logs.sync.close();
        await database.dispose();
      },
    };
  } catch (error) {
    stopping = true;
    await server?.stop(0);
    await logs.sync.close();
    await database.dispose();
    throw error;
  }
}
