import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { applySchema, createLogger, parseEnv, tokenHash, type Database, type SyncLogger } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../../core/test/support/backends.js';
import { startCentralApi, type CentralApi } from '../../src/app.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema } from '../../src/config.js';
import { send, type RawResponse, type RequestOptions } from './http-client.js';
import { expectMatchesOpenApi } from './openapi.js';

/** Two PDVs of two lojas, plus a retired one. Tokens are long enough to pass PDV_TOKENS' own rule. */
export const PDVS = {
  a: { pdvId: 'loja01-pdv01', lojaId: 1, token: 'token-loja01-pdv01-aaaaaaaaaaaa' },
  b: { pdvId: 'loja02-pdv01', lojaId: 2, token: 'token-loja02-pdv01-bbbbbbbbbbbb' },
  inactive: { pdvId: 'loja01-pdv99', lojaId: 1, token: 'token-loja01-pdv99-retired-zzz' },
} as const;

export interface Harness {
  api: CentralApi;
  db: Database;
  port: number;
  /** Every JSON log line of the server so far. */
  logs(): Record<string, unknown>[];
  /** Sends a request; the answer is checked against openapi.yaml before it is returned. */
  request(path: string, options?: RequestOptions): Promise<RawResponse>;
  /** POST JSON with PDV a's token unless `token` says otherwise (null = no Authorization header). */
  postJson(path: string, body: unknown, options?: { token?: string | null; gzip?: boolean; headers?: Record<string, string> }): Promise<RawResponse>;
  inboxCount(pdvId?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A real database of `backend` with the central schema and seed rows (plus what `setup` adds), and the API
 * in-process on port 0.
 */
export async function startHarness(backend: Backend, env: Record<string, string> = {}, setup?: (db: Database) => Promise<void>): Promise<Harness> {
  const database: TestDatabase = await backend.create();
  const { db } = database;
  let logger: SyncLogger | undefined;
  try {
    await applySchema(db, { role: 'central' });
    await seed(db);
    await setup?.(db);
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    logger = createLogger('central-api', { level: 'debug', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false }, { destination });
    const config = parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0', ...env }, CENTRAL_SECRET_VARIABLES);
    const api = await startCentralApi(config, db, logger.logger);
    const request = async (path: string, options: RequestOptions = {}): Promise<RawResponse> => {
      const response = await send(api.port, path, options);
      expectMatchesOpenApi(options.method ?? 'GET', path, response);
      return response;
    };
    const sync = logger;
    return {
      api,
      db,
      port: api.port,
      logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
      request,
      postJson(path, body, options = {}) {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
        const token = options.token === undefined ? PDVS.a.token : options.token;
        if (token !== null) headers.authorization = `Bearer ${token}`;
        if (options.gzip) headers['content-encoding'] = 'gzip';
        return request(path, { method: 'POST', headers, body: options.gzip ? gzipSync(text) : text });
      },
      async inboxCount(pdvId) {
        const sql = pdvId === undefined ? 'SELECT COUNT(*) AS n FROM sync_inbox' : `SELECT COUNT(*) AS n FROM sync_inbox WHERE pdv_id = ${db.dialect === 'mssql' ? '@p1' : '$1'}`;
        const { rows } = await db.query<{ n: number | string }>(sql, pdvId === undefined ? [] : [pdvId]);
        return Number(rows[0]!.n);
      },
      async close() {
        await api.stop(1_000);
        await sync.close();
        await database.dispose();
      },
    };
  } catch (error) {
    await logger?.close();
    await database.dispose();
    throw error;
  }
}

async function seed(db: Database): Promise<void> {
  const p = (n: number) => (db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
  const active = (value: boolean) => (db.dialect === 'mssql' ? (value ? 1 : 0) : value);
  await db.query(`INSERT INTO loja (loja_id, nome) VALUES (1, ${p(1)}), (2, ${p(2)})`, ['Loja Centro', 'Loja São José']);
  for (const [pdv, isActive] of [[PDVS.a, true], [PDVS.b, true], [PDVS.inactive, false]] as const) {
    await db.query(`INSERT INTO sync_pdv (pdv_id, loja_id, token_hash, active) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`, [
      pdv.pdvId,
      pdv.lojaId,
      tokenHash(pdv.token),
      active(isActive),
    ]);
  }
}
