import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { applySchema, createLogger, parseEnv, type Database, type SqlParams, type SyncLogger } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../../core/test/support/backends.js';
import { REPO_ROOT } from '../../../core/test/support/spawn-daemon.js';
import { startCentralApi, type CentralApi } from '../../src/app.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema } from '../../src/config.js';
import { send, type RawResponse } from './http-client.js';
import { expectMatchesOpenApi } from './openapi.js';

export const CENTRAL_CLI = join(REPO_ROOT, 'packages/central-api/dist/cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A central database of `backend` that child processes can reach (PGlite served over its socket), with the central
 * schema, two lojas and a priced product in each, and the real central-api listening in this process: what the
 * admin CLI (run as the built dist/cli.js, a child process) and the PDVs talk to.
 */
export interface AdminRig {
  db: Database;
  api: CentralApi;
  /** Runs `node dist/cli.js <args>` with DB_URL pointing here (and `env` on top). */
  cli(args: readonly string[], env?: Record<string, string>): Promise<CliRun>;
  /** GET with a bearer token, the answer checked against openapi.yaml. */
  get(path: string, token: string): Promise<RawResponse>;
  /** A statement written with $1..$n (turned into @p1.. on SQL Server). */
  exec<Row = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<Row[]>;
  dbUrl: string;
  close(): Promise<void>;
}

export async function startAdminRig(backend: Backend, env: Record<string, string> = {}): Promise<AdminRig> {
  const database: TestDatabase = await backend.create({ shared: true });
  const { db } = database;
  const logs = { sync: quietLogger() };
  const exec = async <Row>(sql: string, params: SqlParams = []) => (await db.query<Row>(db.dialect === 'mssql' ? sql.replace(/\$(\d+)/g, '@p$1') : sql, params)).rows;
  let api: CentralApi | undefined;
  try {
    await applySchema(db, { role: 'central' });
    await exec('INSERT INTO loja (loja_id, nome) VALUES (1, $1), (2, $2)', ['Loja Centro', 'Loja São José']);
    await exec('INSERT INTO categoria (categoria_id, nome) VALUES (1, $1)', ['Bebidas']);
    await exec('INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em) VALUES (1, $1, $2, 1, $3, 5.00, $4, $5)', [
      '7890000000001',
      'Água',
      'UN',
      '2026-01-01 00:00:00',
      '2026-01-01T00:00:00Z',
    ]);
    // One price per loja: what a PDV of each loja may see of a filtered table.
    await exec('INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em) VALUES (1, 1, 5.10, $1, $2), (2, 1, 5.20, $1, $2)', ['2026-01-01', '2026-01-01 00:00:00']);
    const config = parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0', AUTH_CACHE_TTL_MS: '0', TABLE_REGISTRY_TTL_MS: '0', ...env }, CENTRAL_SECRET_VARIABLES);
    api = await startCentralApi(config, db, logs.sync.logger);
  } catch (error) {
    await logs.sync.close();
    await database.dispose();
    throw error;
  }
  const live = api;
  const dbUrl = database.url!;
  return {
    db,
    api: live,
    dbUrl,
    exec,
    cli: (args, extra = {}) => runNode(CENTRAL_CLI, args, { DB_URL: dbUrl, ...extra }),
    async get(path, token) {
      const response = await send(live.port, path, { headers: { authorization: `Bearer ${token}` } });
      expectMatchesOpenApi('GET', path, response);
      return response;
    },
    async close() {
      await live.stop(500);
      await logs.sync.close();
      await database.dispose();
    },
  };
}

/** A PDV's database (the PDV schema applied, reachable from child processes) registered with `rig`'s central API. */
export interface RegisteredPdv {
  pdv: TestDatabase;
  token: string;
  /** The variables a PDV daemon (or its CLI) needs to reach this PDV's database and the central API. */
  env: Record<string, string>;
}

export async function registerPdv(rig: AdminRig, backend: Backend, pdvId: string, lojaId: number): Promise<RegisteredPdv> {
  const added = await rig.cli(['pdv', 'add', pdvId, '--loja', String(lojaId)]);
  const token = /^CENTRAL_API_TOKEN=(\S+)$/m.exec(added.stdout)?.[1];
  if (added.code !== 0 || token === undefined) throw new Error(`pdv add ${pdvId} failed: ${added.stderr}`);
  const pdv = await backend.create({ shared: true });
  try {
    await applySchema(pdv.db, { role: 'pdv' });
  } catch (error) {
    await pdv.dispose();
    throw error;
  }
  return { pdv, token, env: { DB_URL: pdv.url!, PDV_ID: pdvId, CENTRAL_API_URL: `http://127.0.0.1:${rig.api.port}`, CENTRAL_API_TOKEN: token } };
}

/** Runs a built script as a child process with exactly `env` (and PATH): no .env, no inherited DB_*. */
export function runNode(script: string, args: readonly string[], env: Record<string, string>, cwd = REPO_ROOT): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The API's log lines go nowhere: these tests read the CLI's output and the database. */
function quietLogger(): SyncLogger {
  const destination = new Writable({ write: (_chunk, _encoding, done) => done() });
  return createLogger('central-api', { level: 'warn', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false }, { destination });
}
