import { Writable } from 'node:stream';
import { applySchema, createLogger, HealthState, type DaemonWorker, type Database, type Queryable, type SyncLogger, type SyncRow } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../../packages/core/test/support/backends.js';
import { TablePages } from '../../src/api/table-pages.js';
import type { PullEnv, RejectPolicy } from '../../src/config.js';
import type { ApplyStore } from '../../src/db/apply-store.js';
import type { Checkpoint } from '../../src/db/checkpoint-store.js';
import { pullStoresFor, type PullStores } from '../../src/db/pull-stores.js';
import { parseTableMapping } from '../../src/plan/table-mapping.js';
import { buildSyncPlan, type SyncPlan, type TablePlan } from '../../src/plan/table-plan.js';
import type { TableJob } from '../../src/table-job.js';
import type { PageServer } from './page-server.js';

export const p = (db: Database, n: number): string => (db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
export const sqlFor = (db: Queryable, sql: string): string => (db.dialect === 'mssql' ? sql.replace(/\$(\d+)/g, '@p$1') : sql);

/** A fresh PDV database of `backend` with every pdv/ script applied. */
export async function createPdvDatabase(backend: Backend): Promise<TestDatabase> {
  const database = await backend.create();
  try {
    await applySchema(database.db, { role: 'pdv' });
  } catch (error) {
    await database.dispose();
    throw error;
  }
  return database;
}

/** The stores of the database's dialect, as the worker picks them. */
export const storesOf = (db: Queryable): PullStores => pullStoresFor(db.dialect);

export const readCheckpoints = (db: Queryable): Promise<Map<string, Checkpoint>> => storesOf(db).checkpoints.readAll(db);

/** The Sync-Token the page servers of these tests hand, and the checkpoints below hold. */
export const TEST_SYNC_TOKEN = 'v1.1.test-claims.test-signature';

/** A table's checkpoint in delta mode at `version`, with nothing pending, as a caught-up table holds it. */
export function deltaCheckpoint(table: string, version: string, syncToken: string | null = TEST_SYNC_TOKEN, incarnation: string | null = null): Checkpoint {
  return {
    table,
    version,
    mode: 'delta',
    appliedColumns: null,
    ignoredColumns: null,
    syncToken,
    incarnation,
    deltaCursor: null,
    deltaToVersion: null,
    snapshotVersion: null,
    snapshotCursor: null,
    snapshotLastKey: null,
    rowsApplied: '0',
    pendingDeletes: [],
    lastSuccessAt: null,
    lastError: null,
    lastErrorAt: null,
  };
}

/**
 * Checkpoints as a finished snapshot leaves them: delta mode at `version`, holding a Sync-Token. A table new
 * to a PDV starts with a snapshot instead; the tests of delta pages begin where that snapshot ended.
 */
export async function deltaCheckpoints(db: Queryable, tables: readonly string[], version = '0', syncToken: string | null = TEST_SYNC_TOKEN): Promise<void> {
  await storesOf(db).checkpoints.ensure(db, tables);
  for (const table of tables) {
    await db.query(sqlFor(db, `UPDATE sync_checkpoint SET mode = 'delta', version = CAST($2 AS bigint), sync_token = $3 WHERE table_name = $1`), [table, version, syncToken]);
  }
}

/** The plan of a mapping given as a JS object, checked against the database as the daemon does at start. */
export async function planFor(db: Database, mapping: unknown, pageSize = 500): Promise<SyncPlan> {
  const file = parseTableMapping(mapping, 'test-mapping.json');
  const schema = await storesOf(db).localSchema.read(db, file.tables.map((table) => table.local));
  return buildSyncPlan(file, schema, pageSize);
}

export interface PlannedTable {
  plan: TablePlan;
  rows: ApplyStore;
}

export async function plannedTable(db: Database, table: string, mapping: unknown = { tables: [{ table }] }): Promise<PlannedTable> {
  const sync = await planFor(db, mapping);
  const plan = sync.tables.find((candidate) => candidate.table === table);
  if (!plan) throw new Error(`no plan for ${table}: ${JSON.stringify(sync.problems)}`);
  return { plan, rows: storesOf(db).applyStore(plan, sync.referencesTo(plan.localTable)) };
}

/** The job the worker would build for the table, reading its pages from a page server. */
export function tableJob(db: Database, planned: PlannedTable, server: PageServer, policy: RejectPolicy = 'stop-table'): TableJob {
  const stores = storesOf(db);
  return {
    plan: planned.plan,
    logger: server.logger,
    db,
    pages: new TablePages(server.client, planned.plan.table, planned.plan.pageSize),
    rows: planned.rows,
    checkpoints: stores.checkpoints,
    rejectedRows: stores.rejectedRows,
    policy,
  };
}

/** Log lines kept in memory; `level` defaults to trace so that tests can look at every line. */
export function memoryLogger(level: 'trace' | 'debug' | 'info' = 'trace'): { sync: SyncLogger; lines: () => Record<string, unknown>[] } {
  const text: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const sync = createLogger('pull-service', { level, dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false }, { destination, base: { pdvId: 'loja01-pdv01' } });
  return { sync, lines: () => text.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export const newHealth = (): HealthState => new HealthState({ maxLoopSilenceMs: 60_000 });

/** A produto row as the central API sends it. */
export function produtoRow(id: number, overrides: SyncRow = {}): SyncRow {
  return {
    produto_id: id,
    codigo_barras: String(7890000000000 + id),
    descricao: `Produto ${id} ção`,
    categoria_id: 1,
    unidade: 'UN',
    ncm: '12345678',
    preco_base: '10.5000',
    custo: null,
    aliquota_icms: '18.0000',
    peso_kg: null,
    ativo: true,
    imagem: null,
    criado_em: '2026-01-01T08:00:00.123456',
    atualizado_em: '2026-01-01T08:00:00.123456+00:00',
    ...overrides,
  };
}

export const PRODUTO_COLUMNS = [
  { name: 'produto_id', type: 'int' },
  { name: 'codigo_barras', type: 'string' },
  { name: 'descricao', type: 'string' },
  { name: 'categoria_id', type: 'int' },
  { name: 'unidade', type: 'string' },
  { name: 'ncm', type: 'string' },
  { name: 'preco_base', type: 'decimal' },
  { name: 'custo', type: 'decimal' },
  { name: 'aliquota_icms', type: 'decimal' },
  { name: 'peso_kg', type: 'decimal' },
  { name: 'ativo', type: 'bool' },
  { name: 'imagem', type: 'binary' },
  { name: 'criado_em', type: 'timestamp' },
  { name: 'atualizado_em', type: 'timestamptz' },
] as const;

export async function insertCategorias(db: Database, ids: readonly number[]): Promise<void> {
  for (const id of ids) await db.query(`INSERT INTO categoria (categoria_id, nome) VALUES (${p(db, 1)}, ${p(db, 2)})`, [id, `Categoria ${id}`]);
}

export async function countRows(db: Database, table: string): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

/** Runs the worker's cycles until two in a row find nothing to do (the second settles pages that waited for a parent). */
export async function runUntilIdle(worker: DaemonWorker, signal: AbortSignal = new AbortController().signal, maxCycles = 1_000): Promise<void> {
  for (let cycle = 0; cycle < maxCycles; cycle++) {
    if (!(await worker.runCycle(signal))?.busy && !(await worker.runCycle(signal))?.busy) return;
  }
  throw new Error(`the worker was still busy after ${maxCycles} cycles`);
}

/** Worker settings for in-process tests: quick retries, no long-poll unless asked. */
export function workerConfig(overrides: Partial<PullEnv> & Pick<PullEnv, 'CENTRAL_API_URL' | 'PULL_TABLES_FILE'>): PullEnv {
  return {
    PDV_ID: 'loja01-pdv01',
    CENTRAL_API_TOKEN: 'token-loja01-pdv01-aaaaaaaaaaaa',
    PULL_PAGE_SIZE: 500,
    PULL_LONG_POLL_MS: 0,
    PULL_STREAM_MS: 0,
    PULL_CONNECT_TIMEOUT_MS: 2_000,
    PULL_RESPONSE_TIMEOUT_MS: 10_000,
    PULL_REJECT_POLICY: 'stop-table',
    PULL_RETRY_BASE_MS: 1,
    PULL_RETRY_CAP_MS: 5,
    CENTRAL_API_TLS_VERIFY: true,
    CENTRAL_API_CA_FILE: undefined,
    CENTRAL_UNREACHABLE_ALERT_MS: 900_000,
    CENTRAL_AUTH_ALERT_MS: 60_000,
    // In-process workers send no status report unless a test asks for them.
    STATUS_REPORT_INTERVAL_MS: 0,
    ...overrides,
  };
}
