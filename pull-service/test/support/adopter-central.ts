import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { applySchema, parseEnv, tokenHash, type Database, type SqlParams } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../../packages/core/test/support/backends.js';
import { startCentralApi, type CentralApi } from '../../../packages/central-api/src/app.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema, type CentralConfig } from '../../../packages/central-api/src/config.js';
import type { DeltasConfig } from '../../../packages/central-api/src/deltas/index.js';
import { parseServedTablesVariable } from '../../../packages/central-api/src/deltas/declaration/served-tables-file.js';
import { OTHER_PDV, PDV } from './central-rig.js';
import { memoryLogger } from './pull-fixtures.js';

/** One answer the PDV received, its body decompressed. */
export interface RecordedResponse {
  method: string;
  url: string;
  status: number;
  /** The answer's Content-Encoding; only gzip (what the PDV asks for) is decoded. */
  encoding: string | null;
  body: string;
}

/**
 * A loopback HTTP proxy that forwards to the current central API and keeps every answer's body, so that a test
 * can assert what did and did not leave the central side. Its own URL stays the same when the central API
 * behind it is restarted on another port, as a PDV's CENTRAL_API_URL does across an operator's restart.
 */
interface RecordingProxy {
  url: string;
  responses: RecordedResponse[];
  retarget(url: string): void;
  close(): Promise<void>;
}

async function startRecordingProxy(initialTarget: string): Promise<RecordingProxy> {
  let target = new URL(initialTarget);
  const responses: RecordedResponse[] = [];
  const server = http.createServer((request, reply) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const raw = Buffer.concat(chunks);
          const encoding = answer.headers['content-encoding'] ?? null;
          const body = encoding === 'gzip' ? gunzipSync(raw) : raw;
          responses.push({ method: request.method ?? '', url: request.url ?? '', status: answer.statusCode ?? 0, encoding, body: body.toString('utf8') });
        });
        reply.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(reply);
      },
    );
    upstream.on('error', (error) => reply.destroy(error));
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    responses,
    retarget(url) {
      target = new URL(url);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The real central API on a real central database holding the sample schema plus an adopter's own tables
 * (`ddl`), serving what a declaration file says. The PDV reaches it through `url`, a recording proxy; `restart`
 * stops the API and starts it again on the same database with another declaration file, as an operator does
 * after editing SERVED_TABLES_FILE.
 */
export interface AdopterCentral {
  db: Database;
  /** The proxy's URL: give it to the PDV. */
  url: string;
  /** Every answer the PDV received, in order. */
  responses: RecordedResponse[];
  /** A statement written with $1..$n (turned into @p1.. on SQL Server). */
  exec(sql: string, params?: SqlParams): Promise<Record<string, unknown>[]>;
  restart(declarationFile: string): Promise<void>;
  close(): Promise<void>;
}

function readDeclaration(path: string): DeltasConfig['SERVED_TABLES_FILE'] {
  const read = parseServedTablesVariable(path);
  if (!read.ok) throw new Error(`SERVED_TABLES_FILE: ${read.message}`);
  return read.value;
}

export async function startAdopterCentral(backend: Backend, ddl: (db: Database) => Promise<void>, declarationFile: string): Promise<AdopterCentral> {
  const database: TestDatabase = await backend.create();
  const { db } = database;
  const logs = memoryLogger('info');
  const exec = async (sql: string, params: SqlParams = []) => (await db.query(db.dialect === 'mssql' ? sql.replace(/\$(\d+)/g, '@p$1') : sql, params)).rows;
  const start = (file: string): Promise<CentralApi> => {
    const deltas: DeltasConfig = {
      SERVED_TABLES_FILE: readDeclaration(file),
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
    };
    const config: CentralConfig & DeltasConfig = { ...parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0' }, CENTRAL_SECRET_VARIABLES), ...deltas };
    return startCentralApi(config, db, logs.sync.logger);
  };
  let api: CentralApi | undefined;
  let proxy: RecordingProxy | undefined;
  try {
    await applySchema(db, { role: 'central' });
    await exec('INSERT INTO loja (loja_id, nome) VALUES (1, $1), (2, $2)', ['Loja Centro', 'Loja São José']);
    for (const pdv of [PDV, OTHER_PDV]) {
      await exec('INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES ($1, $2, $3)', [pdv.pdvId, pdv.lojaId, tokenHash(pdv.token)]);
    }
    await ddl(db);
    api = await start(declarationFile);
    proxy = await startRecordingProxy(`http://127.0.0.1:${api.port}`);
  } catch (error) {
    await api?.stop(0);
    await logs.sync.close();
    await database.dispose();
    throw error;
  }
  const recording = proxy;
  return {
    db,
    url: recording.url,
    responses: recording.responses,
    exec,
    async restart(file) {
      await api?.stop(500);
      api = undefined;
      api = await start(file);
      recording.retarget(`http://127.0.0.1:${api.port}`);
    },
    async close() {
      await recording.close();
      await api?.stop(500);
      await logs.sync.close();
      await database.dispose();
    },
  };
}
