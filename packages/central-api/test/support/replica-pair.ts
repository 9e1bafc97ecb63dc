import { Writable } from 'node:stream';
import { applySchema, createLogger, parseEnv, tokenHash, type Database, type SqlParams, type SyncLogger } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../../core/test/support/backends.js';
import { parseExposition } from '../../../core/test/support/prometheus-text.js';
import { startCentralApi, type CentralApi } from '../../src/app.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema, type CentralConfig } from '../../src/config.js';
import { sampleServedTables, type DeltasConfig } from '../../src/deltas/index.js';
import { send } from './http-client.js';

/** A PDV as the central database knows it: its bearer token and its loja. */
export interface ReplicaPdv {
  pdvId: string;
  lojaId: number;
  token: string;
}

/** What one replica's /metrics says about its serving of pulls. */
export interface ServingFigures {
  reads: number;
  hits: number;
  quiet: number;
  ticks: number;
  waiting: number;
}

export interface Replica {
  api: CentralApi;
  port: number;
  /** Stops the replica (its HTTP and admin ports close); the database stays. Safe to call twice. */
  stop(drainMs?: number): Promise<void>;
  stopped: boolean;
  /** Its serving figures, read from its admin port's /metrics as a monitoring system would. */
  figures(): Promise<ServingFigures>;
}

export interface ReplicaPair {
  db: Database;
  /** The database's URL on a PostgreSQL server (null on PGlite). */
  url: string | null;
  replicas: [Replica, Replica];
  /** A statement written with $1..$n (turned into @p1.. on SQL Server), in a transaction of its own. */
  exec(sql: string, params?: SqlParams): Promise<Record<string, unknown>[]>;
  /** Several statements in one transaction: one commit, hence one version for all of them. */
  commit(statements: readonly { sql: string; params?: SqlParams }[]): Promise<void>;
  /** Registers PDVs (sync_pdv rows), as the back office does. */
  addPdvs(pdvs: readonly ReplicaPdv[]): Promise<void>;
  /** Stops both replicas, then drops the database. Safe to call twice. */
  close(): Promise<void>;
}

/** The deltas settings of both replicas: a short clock interval so that the test does not wait on it. */
export const REPLICA_DELTAS: DeltasConfig = {
  SERVED_TABLES_FILE: sampleServedTables(),
  PULL_CONTRACT_V1: false,
  CHANGES_MAX_WAIT_MS: 25_000,
  CHANGES_STREAM_MAX_MS: 300_000,
  CHANGES_POLL_INTERVAL_MS: 50,
  CHANGES_IDLE_CHECK_MS: 5_000,
  CHANGES_NOTIFIED_GAP_MS: 50,
  LONG_POLLS_MAX: 20_000,
  SNAPSHOTS_MAX_CONCURRENT: 8,
  SHARED_PAGES_MAX_MB: 64,
  SHARED_PAGES_MAX_AGE_MS: 60_000,
  CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 0,
  // As in production: the catalog and the signing keys are read again every 10 s and 60 s, not per request.
  TABLE_REGISTRY_TTL_MS: 10_000,
  SYNC_TOKEN_KEYS_TTL_MS: 60_000,
};

const toDialect = (db: Database, sql: string): string => (db.dialect === 'mssql' ? sql.replace(/\$(\d+)/g, '@p$1') : sql);

/**
 * Two central-api replicas, each started as main.ts starts one (startCentralApi), on one real database of
 * `backend`: on PGlite both hold the same in-process database object, on PostgreSQL each its own pool. Nothing
 * but the database is shared between them: each has its own serving clock, shared pages, long-poll hub and
 * auth cache, as two processes behind a load balancer would.
 */
export async function startReplicaPair(
  backend: Backend,
  env: Record<string, string> = {},
  deltas: Partial<DeltasConfig> = {},
  options: { listenForChanges?: boolean } = {},
): Promise<ReplicaPair> {
  const database: TestDatabase = await backend.create();
  // With DB_URL naming the server, each replica LISTENs for the change notification (central/0017), as in
  // production; without, its clock ticks every CHANGES_POLL_INTERVAL_MS while someone waits.
  if (options.listenForChanges && database.url !== null) env = { ...env, DB_URL: database.url };
  const { db } = database;
  const loggers: SyncLogger[] = [];
  const replicas: Replica[] = [];
  const exec = async (sql: string, params: SqlParams = []) => (await db.query(toDialect(db, sql), params)).rows;
  const closeAll = async (): Promise<void> => {
    await Promise.all(replicas.map((replica) => replica.stop(500)));
    await Promise.all(loggers.map((logger) => logger.close()));
    await database.dispose();
  };
  try {
    await applySchema(db, { role: 'central' });
    await exec('INSERT INTO loja (loja_id, nome) VALUES (1, $1), (2, $2)', ['Loja Centro', 'Loja São José']);
    const config: CentralConfig & DeltasConfig = {
      ...parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0', ...env }, CENTRAL_SECRET_VARIABLES),
      ...REPLICA_DELTAS,
      ...deltas,
    };
    for (let index = 0; index < 2; index++) {
      // Warnings and errors only: a replica's request log would be the bulk of the test's time on PGlite.
      const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
      const logger = createLogger('central-api', { level: 'warn', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false }, { destination: sink, base: { replica: index } });
      loggers.push(logger);
      replicas.push(replicaOf(await startCentralApi(config, db, logger.logger)));
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    db,
    url: database.url,
    replicas: replicas as [Replica, Replica],
    exec,
    async commit(statements) {
      await db.transaction(async (tx) => {
        for (const { sql, params } of statements) await tx.query(toDialect(db, sql), params ?? []);
      });
    },
    async addPdvs(pdvs) {
      for (const pdv of pdvs) await exec('INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES ($1, $2, $3)', [pdv.pdvId, pdv.lojaId, tokenHash(pdv.token)]);
    },
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}

function replicaOf(api: CentralApi): Replica {
  let stopping: Promise<void> | undefined;
  const replica: Replica = {
    api,
    port: api.port,
    stopped: false,
    stop(drainMs = 500) {
      replica.stopped = true;
      stopping ??= api.stop(drainMs);
      return stopping;
    },
    async figures() {
      const response = await send(api.adminPort, '/metrics');
      if (response.status !== 200) throw new Error(`GET /metrics of the replica on port ${api.port} answered ${response.status}`);
      const exposition = parseExposition(response.text);
      const value = (name: string): number => {
        const found = exposition.value(name);
        if (found === undefined) throw new Error(`the replica on port ${api.port} exposes no ${name}`);
        return found;
      };
      return {
        reads: value('goldpdv_shared_page_reads_total'),
        hits: value('goldpdv_shared_page_hits_total'),
        quiet: value('goldpdv_shared_page_quiet_total'),
        ticks: value('goldpdv_serving_clock_ticks_total'),
        waiting: value('goldpdv_long_polls_waiting'),
      };
    },
  };
  return replica;
}

/** `count` PDVs spread over lojas 1 and 2 in turn, with tokens long enough for PDV_TOKENS' own rule. */
export function fleetOf(count: number, from = 1): ReplicaPdv[] {
  return Array.from({ length: count }, (_, index) => {
    const n = from + index;
    const lojaId = 1 + (n % 2);
    const pdvId = `loja0${lojaId}-pdv${String(n).padStart(3, '0')}`;
    return { pdvId, lojaId, token: `token-${pdvId}-${'s'.repeat(16)}` };
  });
}
