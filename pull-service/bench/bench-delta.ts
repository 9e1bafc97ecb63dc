import type { Database, SyncRow } from '@goldpdv/core';
import { CentralPullClient } from '../src/api/central-pull-client.js';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { createHttpClient } from '../../packages/core/src/http/http-client.js';
import { createPullWorker } from '../src/sync-pull.js';
import { memoryLogger, newHealth, workerConfig } from '../test/support/pull-fixtures.js';
import { PDV, type CentralRig } from '../test/support/central-rig.js';

const COLUMNS = ['produto_id', 'codigo_barras', 'descricao', 'categoria_id', 'unidade', 'ncm', 'preco_base', 'custo', 'aliquota_icms', 'peso_kg', 'ativo', 'imagem', 'criado_em', 'atualizado_em'];
const TYPES = ['int', 'text', 'text', 'int', 'text', 'text', 'numeric', 'numeric', 'numeric', 'numeric', 'boolean', 'text', 'timestamp', 'timestamptz'];

/** Runs the real pull worker (in this process, over HTTP) until every table is idle; returns the seconds taken. */
export async function pullUntilIdle(central: CentralRig, local: Database, pageSize: number): Promise<number> {
  // The production log level: trace lines would be benchmark overhead that no PDV pays.
  const logs = memoryLogger('info');
  const worker = createPullWorker({ config: workerConfig({ CENTRAL_API_URL: central.url, PULL_TABLES_FILE: BUNDLED_TABLES_FILE, PULL_PAGE_SIZE: pageSize }), db: local, logger: logs.sync.logger, health: newHealth() });
  const signal = new AbortController().signal;
  const started = process.hrtime.bigint();
  try {
    for (let idleRounds = 0; idleRounds < 2; ) idleRounds = (await worker.runCycle(signal))?.busy ? 0 : idleRounds + 1;
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await worker.stop?.();
    await logs.sync.close();
  }
}

/** Every upsert row of produto's window from `since`, fetched page by page over HTTP as the worker does, with its Sync-Token. */
export async function fetchDelta(central: CentralRig, since: string, syncToken: string | null, pageSize: number, onPage: (rows: SyncRow[]) => Promise<void>): Promise<number> {
  const http = createHttpClient({ connectTimeoutMs: 10_000, responseTimeoutMs: 120_000, rejectUnauthorized: true });
  const client = new CentralPullClient(http, { baseUrl: central.url, token: PDV.token, responseTimeoutMs: 120_000 });
  let cursor: string | null = null;
  let total = 0;
  try {
    for (;;) {
      const answer = await client.changes('produto', { since, cursor, limit: pageSize, waitMs: 0, syncToken });
      if (answer.kind !== 'page') throw new Error('unexpected "reset required"');
      const rows = answer.page.changes.flatMap((change) => (change.op === 'upsert' ? [change.row] : []));
      await onPage(rows);
      total += rows.length;
      if (!answer.page.hasMore) return total;
      cursor = answer.page.nextCursor;
    }
  } finally {
    http.close();
  }
}

/** The naive way: the same pages, one INSERT ... ON CONFLICT statement per row (a transaction per page). */
export async function naiveUpsert(local: Database, rows: readonly SyncRow[]): Promise<void> {
  const values = COLUMNS.map((name, i) => (name === 'imagem' ? `decode($${i + 1}, 'base64')` : `$${i + 1}::${TYPES[i]}`)).join(', ');
  const updates = COLUMNS.slice(1).map((name) => `${name} = EXCLUDED.${name}`).join(', ');
  const sql = `INSERT INTO produto (${COLUMNS.join(', ')}) VALUES (${values}) ON CONFLICT (produto_id) DO UPDATE SET ${updates}`;
  await local.transaction(async (tx) => {
    for (const row of rows) await tx.query(sql, COLUMNS.map((name) => row[name] ?? null));
  });
}

/** The floor: the same rows bulk-loaded with unnest of typed arrays, one statement, no HTTP, no JSON. */
export async function rawUpsert(local: Database, rows: readonly SyncRow[]): Promise<void> {
  const arrays = COLUMNS.map((name) => rows.map((row) => row[name] ?? null));
  const unnest = COLUMNS.map((_, i) => `$${i + 1}::${TYPES[i]}[]`).join(', ');
  const select = COLUMNS.map((name) => (name === 'imagem' ? `decode(u.${name}, 'base64')` : `u.${name}`)).join(', ');
  const updates = COLUMNS.slice(1).map((name) => `${name} = EXCLUDED.${name}`).join(', ');
  await local.query(
    `INSERT INTO produto (${COLUMNS.join(', ')}) SELECT ${select} FROM unnest(${unnest}) AS u(${COLUMNS.join(', ')}) ON CONFLICT (produto_id) DO UPDATE SET ${updates}`,
    arrays,
  );
}
