import { setTimeout as sleep } from 'node:timers/promises';
import type { SharedPages, SharedPageStats } from '../src/deltas/live/shared-pages.js';
import type { ServingClock } from '../src/deltas/live/serving-clock.js';
import type { TableRegistry } from '../src/deltas/table-registry.js';
import { Writable } from 'node:stream';
import { applySchema, createLogger, tokenHash, type Change, type ChangesPage, type Database, type SnapshotPage, type SqlParams } from '@goldpdv/core';
import { expect } from 'vitest';
import type { Backend, TestDatabase } from '../../core/test/support/backends.js';
import { createAuthenticator } from '../src/auth.js';
import type { DeclaredTable } from '../src/deltas/declaration/served-tables-declaration.js';
import { parseSourceTableName } from '../src/deltas/declaration/source-name.js';
import { storesFor } from '../src/dialect-stores.js';
import { sampleServedTables, startDeltas, type DeltasConfig, type ServedTablesDeclaration } from '../src/deltas/index.js';
import { createCentralServer, type CentralServer } from '../src/server.js';
import { PDVS } from './support/central-harness.js';
import { send, type RawResponse } from './support/http-client.js';

/**
 * A real database of `backend` with the central schema, two lojas with one PDV each, and the pull routes on a
 * real HTTP server on port 0. Built from the feature's own entry point (deltaRoutes) so the deltas settings
 * can be set per test.
 */
export interface DeltasRig {
  db: Database;
  port: number;
  /** Runs a statement written with $1..$n; on SQL Server the placeholders become @p1..@pn. */
  exec(sql: string, params?: SqlParams): Promise<Record<string, unknown>[]>;
  /**
   * GET as a PDV (PDVS.a unless `token` says otherwise). A GET /v1/changes carries the Sync-Token of the last
   * snapshot this PDV completed for the table through the rig (checkpoint, snapshotAll, or a last snapshot page
   * read with get), unless `syncToken` gives one (null: none at all).
   */
  get(path: string, options?: { token?: string | null; headers?: Record<string, string>; syncToken?: string | null }): Promise<RawResponse>;
  /** The Sync-Token the rig keeps for this PDV's table (see get), or null. */
  syncTokenOf(table: string, token?: string | undefined): string | null;
  /** Every page of a window from `since`, following cursors; fails on anything but 200. */
  drainChanges(table: string, since: string, options?: { limit?: number; token?: string; syncToken?: string | null }): Promise<{ changes: Change[]; toVersion: string; pages: number }>;
  snapshotAll(table: string, options?: { limit?: number; token?: string }): Promise<{ rows: SnapshotPage['rows']; snapshotVersion: string; pages: number }>;
  /** The version a client starts from: a whole snapshot's version, taken now (the rig keeps its Sync-Token). */
  checkpoint(table: string, token?: string | undefined): Promise<string>;
  /** How many GET /v1/changes requests are waiting for a change right now. */
  waiting(): number;
  /** The shared pages' figures: database reads, answers from a page read for another request, quiet answers. */
  sharedPages(): SharedPageStats;
  /**
   * The wait rounds worked out, those handed over from one worked out for another PDV, and the changes a waiting
   * stream was found to have nothing in from such a round (WaitRounds).
   */
  waitRounds(): { worked: number; shared: number; quiet: number };
  logs(): Record<string, unknown>[];
  /** The replica's serving clock, shared pages and served tables, for a test that works wait rounds out itself. */
  serving: { clock: ServingClock; pages: SharedPages; registry: TableRegistry };
  /** Stops the server (waiting requests are released first), then drops the database. Safe to call twice. */
  close(): Promise<void>;
}

/** The sample schema's declaration as shipped (common/served-tables.sample.json): preco_loja filtered by loja_id. */
export const sampleDeclaration = (): ServedTablesDeclaration => sampleServedTables();

/** The sample declaration with other row filters: table -> central column, or null for none. */
export function sampleDeclarationFiltered(filters: Record<string, string | null>): ServedTablesDeclaration {
  const sample = sampleDeclaration();
  return { ...sample, tables: sample.tables.map((table) => (table.table in filters ? { ...table, rowFilter: filters[table.table]! } : table)) };
}

/** A declared table served under its own name, every column under its own name (schema.table: see source-name.ts). */
export function declaredTable(source: string, columns: readonly string[], rowFilter: string | null = null, table = source.replace(/^.*\./, '').toLowerCase()): DeclaredTable {
  const parsed = parseSourceTableName(source);
  if (!parsed.ok) throw new Error(parsed.message);
  return { table, source: parsed.value, columns: columns.map((name) => ({ source: name, name })), rowFilter };
}

/** The sample declaration plus `tables`. */
export function sampleDeclarationWith(...tables: DeclaredTable[]): ServedTablesDeclaration {
  const sample = sampleDeclaration();
  return { ...sample, tables: [...sample.tables, ...tables] };
}

export const TEST_DELTAS_CONFIG: DeltasConfig = {
  SERVED_TABLES_FILE: sampleDeclaration(),
  CHANGES_MAX_WAIT_MS: 25_000,
  CHANGES_STREAM_MAX_MS: 300_000,
  CHANGES_POLL_INTERVAL_MS: 100,
  CHANGES_IDLE_CHECK_MS: 5_000,
  CHANGES_NOTIFIED_GAP_MS: 50,
  LONG_POLLS_MAX: 20_000,
  SNAPSHOTS_MAX_CONCURRENT: 8,
  SHARED_PAGES_MAX_MB: 64,
  SHARED_PAGES_MAX_AGE_MS: 60_000,
  CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 0,
  TABLE_REGISTRY_TTL_MS: 0,
  SYNC_TOKEN_KEYS_TTL_MS: 0,
  // Strict: every test client here speaks contract 2; the contract-1 rollout mode has its own test.
  PULL_CONTRACT_V1: false,
};

export const toMssql = (sql: string): string => sql.replace(/\$(\d+)/g, '@p$1');

export async function startDeltasRig(backend: Backend, config: Partial<DeltasConfig> = {}): Promise<DeltasRig> {
  const database: TestDatabase = await backend.create();
  const { db } = database;
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logging = createLogger('central-api', { level: 'debug', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false }, { destination: sink });
  let server: CentralServer | undefined;
  let stopping = false;
  let closing: Promise<void> | undefined;
  // A change is served at most one clock interval after it commits (live/serving-clock.ts): a read of /v1/changes
  // right after a write here waits out that interval, as the contract allows, instead of racing the clock.
  const intervalMs = config.CHANGES_POLL_INTERVAL_MS ?? TEST_DELTAS_CONFIG.CHANGES_POLL_INTERVAL_MS;
  let lastWriteAt = 0;
  // What the tests write through rig.db (fixtures in one transaction, scripts) counts as a write too.
  const observed: Database = Object.assign(Object.create(db) as Database, {
    query: (async (sql: string, params?: SqlParams) => {
      try {
        return await db.query(sql, params);
      } finally {
        lastWriteAt = Date.now();
      }
    }) as Database['query'],
    transaction: (async (work, options) => {
      try {
        return await db.transaction(work, options);
      } finally {
        lastWriteAt = Date.now();
      }
    }) as Database['transaction'],
    executeScript: async (sql: string) => {
      try {
        await db.executeScript(sql);
      } finally {
        lastWriteAt = Date.now();
      }
    },
  });
  const exec = async (sql: string, params: SqlParams = []) => (await observed.query(db.dialect === 'mssql' ? toMssql(sql) : sql, params)).rows;
  try {
    await applySchema(db, { role: 'central' });
    await exec('INSERT INTO loja (loja_id, nome) VALUES (1, $1), (2, $2)', ['Loja Centro', 'Loja São José']);
    await exec('INSERT INTO categoria (categoria_id, nome) VALUES (1, $1)', ['Mercearia']);
    for (const pdv of [PDVS.a, PDVS.b]) {
      await exec('INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES ($1, $2, $3)', [pdv.pdvId, pdv.lojaId, tokenHash(pdv.token)]);
    }
    const logger = logging.logger;
    const stores = storesFor(db.dialect);
    const { routes, hub, clock, pages, registry, changes, checked } = startDeltas({
      db,
      stores,
      config: { ...TEST_DELTAS_CONFIG, ...config },
      logger,
      auth: createAuthenticator(db, stores.pdvs, { cacheTtlMs: 0 }),
      stopping: () => stopping,
    });
    await checked;
    server = createCentralServer({ routes, logger, maxBodyBytes: 1_048_576, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, retryAfterSeconds: 1 });
    const port = await server.listen(0, '127.0.0.1');
    const live = server;

    // Sync-Tokens handed by the last page of a snapshot, by bearer token and table, as a PDV keeps them.
    const syncTokens = new Map<string, string>();
    const tokenKey = (bearer: string | null, table: string | null) => `${bearer ?? ''}|${table ?? ''}`;
    const get: DeltasRig['get'] = async (path, options = {}) => {
      const token = options.token === undefined ? PDVS.a.token : options.token;
      const url = new URL(path, 'http://rig');
      const table = url.searchParams.get('table');
      // As today's pull-service: contract 2 (Sync-Token); a test of an older client overrides or removes it.
      const headers: Record<string, string> = { 'sync-contract': '2', ...options.headers };
      if (headers['sync-contract'] === '') delete headers['sync-contract'];
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const syncToken = options.syncToken === undefined ? (syncTokens.get(tokenKey(token, table)) ?? null) : options.syncToken;
      if (url.pathname === '/v1/changes' && syncToken !== null) headers['sync-token'] = syncToken;
      const sinceWrite = Date.now() - lastWriteAt;
      if (url.pathname === '/v1/changes' && sinceWrite <= intervalMs) await sleep(intervalMs + 5 - sinceWrite);
      const response = await send(port, path, { headers });
      const handed = response.headers['sync-token'];
      if (url.pathname === '/v1/snapshot' && response.status === 200 && typeof handed === 'string') syncTokens.set(tokenKey(token, table), handed);
      return response;
    };
    const ok = async (path: string, token?: string, syncToken?: string | null): Promise<unknown> => {
      const response = await get(path, { token, syncToken });
      expect(response.status, `${path}: ${response.text.slice(0, 500)}`).toBe(200);
      return response.json;
    };

    return {
      db: observed,
      port,
      exec,
      get,
      syncTokenOf: (table, token: string = PDVS.a.token) => syncTokens.get(tokenKey(token, table)) ?? null,
      async drainChanges(table, since, options = {}) {
        const changes: Change[] = [];
        let cursor: string | null = null;
        let pages = 0;
        for (;;) {
          const query = new URLSearchParams({ table, since, limit: String(options.limit ?? 500) });
          if (cursor) query.set('cursor', cursor);
          const page = (await ok(`/v1/changes?${query}`, options.token, options.syncToken)) as ChangesPage;
          pages += 1;
          changes.push(...page.changes);
          if (!page.hasMore) return { changes, toVersion: page.toVersion, pages };
          cursor = page.nextCursor;
        }
      },
      async snapshotAll(table, options = {}) {
        const rows: SnapshotPage['rows'] = [];
        let cursor: string | null = null;
        let pages = 0;
        for (;;) {
          const query = new URLSearchParams({ table, limit: String(options.limit ?? 500) });
          if (cursor) query.set('cursor', cursor);
          const page = (await ok(`/v1/snapshot?${query}`, options.token)) as SnapshotPage;
          pages += 1;
          rows.push(...page.rows);
          if (!page.hasMore) return { rows, snapshotVersion: page.snapshotVersion, pages };
          cursor = page.nextCursor;
        }
      },
      async checkpoint(table, token) {
        let cursor: string | null = null;
        for (;;) {
          const query = new URLSearchParams({ table, limit: '5000' });
          if (cursor) query.set('cursor', cursor);
          const page = (await ok(`/v1/snapshot?${query}`, token)) as SnapshotPage;
          if (!page.hasMore) return page.snapshotVersion;
          cursor = page.nextCursor;
        }
      },
      waiting: () => hub.waiting,
      sharedPages: () => ({ ...pages.stats }),
      waitRounds: () => ({ ...changes.roundStats }),
      serving: { clock, pages, registry },
      logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
      close() {
        closing ??= (async () => {
          stopping = true;
          await live.stop(1_000);
          changes.stop();
          await logging.close();
          await database.dispose();
        })();
        return closing;
      },
    };
  } catch (error) {
    stopping = true;
    await server?.stop(0);
    await logging.close();
    await database.dispose();
    throw error;
  }
}
