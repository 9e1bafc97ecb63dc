import { Writable } from 'node:stream';
import { applySchema, createLogger, tokenHash, type Change, type ChangesPage, type Database, type SnapshotPage, type SqlParams } from '@goldpdv/core';
import { expect } from 'vitest';
import type { Backend, TestDatabase } from '../../core/test/support/backends.js';
import { createAuthenticator } from '../src/auth.js';
import { deltaRoutes, type DeltasConfig } from '../src/deltas/index.js';
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
  get(path: string, options?: { token?: string | null; headers?: Record<string, string> }): Promise<RawResponse>;
  /** Every page of a window from `since`, following cursors; fails on anything but 200. */
  drainChanges(table: string, since: string, options?: { limit?: number; token?: string }): Promise<{ changes: Change[]; toVersion: string; pages: number }>;
  snapshotAll(table: string, options?: { limit?: number; token?: string }): Promise<{ rows: SnapshotPage['rows']; snapshotVersion: string; pages: number }>;
  /** The version a client starts from: a snapshot's version, taken now. */
  checkpoint(table: string): Promise<string>;
  logs(): Record<string, unknown>[];
  /** Stops the server (waiting requests are released first), then drops the database. Safe to call twice. */
  close(): Promise<void>;
}

export const TEST_DELTAS_CONFIG: DeltasConfig = {
  ROW_FILTERS: [{ table: 'preco_loja', column: 'loja_id' }],
  CHANGES_MAX_WAIT_MS: 25_000,
  CHANGES_POLL_INTERVAL_MS: 100,
  CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 0,
  TABLE_REGISTRY_TTL_MS: 0,
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
  const exec = async (sql: string, params: SqlParams = []) => (await db.query(db.dialect === 'mssql' ? toMssql(sql) : sql, params)).rows;
  try {
    await applySchema(db, { role: 'central' });
    await exec('INSERT INTO loja (loja_id, nome) VALUES (1, $1), (2, $2)', ['Loja Centro', 'Loja São José']);
    await exec('INSERT INTO categoria (categoria_id, nome) VALUES (1, $1)', ['Mercearia']);
    for (const pdv of [PDVS.a, PDVS.b]) {
      await exec('INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES ($1, $2, $3)', [pdv.pdvId, pdv.lojaId, tokenHash(pdv.token)]);
    }
    const logger = logging.logger;
    const routes = deltaRoutes({
      db,
      config: { ...TEST_DELTAS_CONFIG, ...config },
      logger,
      auth: createAuthenticator(db, { cacheTtlMs: 0 }),
      stopping: () => stopping,
    });
    server = createCentralServer({ routes, logger, maxBodyBytes: 1_048_576, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, retryAfterSeconds: 1 });
    const port = await server.listen(0, '127.0.0.1');
    const live = server;

    const get: DeltasRig['get'] = (path, options = {}) => {
      const token = options.token === undefined ? PDVS.a.token : options.token;
      const headers: Record<string, string> = { ...options.headers };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      return send(port, path, { headers });
    };
    const ok = async (path: string, token?: string): Promise<unknown> => {
      const response = await get(path, { token });
      expect(response.status, `${path}: ${response.text.slice(0, 500)}`).toBe(200);
      return response.json;
    };

    return {
      db,
      port,
      exec,
      get,
      async drainChanges(table, since, options = {}) {
        const changes: Change[] = [];
        let cursor: string | null = null;
        let pages = 0;
        for (;;) {
          const query = new URLSearchParams({ table, since, limit: String(options.limit ?? 500) });
          if (cursor) query.set('cursor', cursor);
          const page = (await ok(`/v1/changes?${query}`, options.token)) as ChangesPage;
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
      async checkpoint(table) {
        return ((await ok(`/v1/snapshot?table=${table}&limit=1`)) as SnapshotPage).snapshotVersion;
      },
      logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
      close() {
        closing ??= (async () => {
          stopping = true;
          await live.stop(1_000);
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
