import { Writable } from 'node:stream';
import { createLogger, tokenHash, type Database, type PdvStatusReport, type Queryable, type SyncLogger } from '@goldpdv/core';

/** The real database, with every run of one statement counted: nothing else changes. */
export function countingStatement(inner: Database, statement: string): Database & { runs: number } {
  const counted = {
    runs: 0,
    dialect: inner.dialect,
    query(sql: string, params?: readonly unknown[]) {
      if (sql === statement) counted.runs += 1;
      return inner.query(sql, params);
    },
    executeScript: (sql: string) => inner.executeScript(sql),
    transaction: <T>(work: (tx: Queryable) => Promise<T>, options?: Parameters<Database['transaction']>[1]) => inner.transaction(work, options),
    dedicated: (options: Parameters<Database['dedicated']>[0]) => inner.dedicated(options),
    close: () => inner.close(),
  };
  return counted as Database & { runs: number };
}

export function quietLogger(): SyncLogger {
  return createLogger('central-api', { level: 'error', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false }, { destination: new Writable({ write: (_c, _e, done) => done() }) });
}

export interface TestPdv {
  pdvId: string;
  lojaId: number;
  token: string;
}

/** Lojas 1 and 2 and the given PDVs, registered straight in the tables. */
export async function registerPdvs(db: Queryable, pdvs: readonly TestPdv[]): Promise<void> {
  const p = (n: number) => (db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
  await db.query(`INSERT INTO loja (loja_id, nome) VALUES (1, ${p(1)}), (2, ${p(2)})`, ['A', 'B']);
  for (const pdv of pdvs) await db.query(`INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [pdv.pdvId, pdv.lojaId, tokenHash(pdv.token)]);
}

export function pullReport(overrides: { lagSeconds?: number | null; clock?: string; centralState?: string; tableVersion?: string } = {}): PdvStatusReport {
  return {
    daemon: 'pull-service',
    version: '1.2.3',
    clock: overrides.clock ?? new Date().toISOString(),
    health: { ready: true, centralState: overrides.centralState ?? 'reachable', centralDownSince: null },
    pull: { tables: [{ table: 'produto', version: overrides.tableVersion ?? '42', mode: 'delta', lagSeconds: overrides.lagSeconds === undefined ? 3 : overrides.lagSeconds, rejectedRows: 0, lastError: null }] },
  };
}

export function pushReport(overrides: { pending?: number; oldestAge?: number | null; deadLetters?: number; centralState?: string } = {}): PdvStatusReport {
  return {
    daemon: 'push-service',
    version: '1.2.3',
    clock: new Date().toISOString(),
    health: { ready: true, centralState: overrides.centralState ?? 'reachable', centralDownSince: null },
    push: {
      outbox: { pending: overrides.pending ?? 0, inFlight: 0, oldestPendingAgeSeconds: overrides.oldestAge ?? null, deadLetters: overrides.deadLetters ?? 0 },
      captures: { pending: 0, oldestAgeSeconds: null },
      reconciliation: { checkedAt: null, centralError: null, daysCompared: 3, differingDays: [] },
    },
  };
}
