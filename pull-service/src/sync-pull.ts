import { readFileSync } from 'node:fs';
import type { Logger } from './logger.js';
import { ConfigError, type CycleOutcome, type DaemonContext, type DaemonWorker } from '@goldpdv/core';
import { CentralPullClient } from './central-pull-client.js';
import { CentralUnavailable } from './central-unavailable.js';
import { CentralStatus } from './central-status.js';
import type { PullEnv } from './config.js';
import { createHttpClient } from '@goldpdv/core';
import { waitForChanges } from './long-poll.js';
import { preparePlan } from './prepare-plan.js';
import { runRound, type PullEngine } from './pull-round.js';
import { PagePrefetch } from './page-prefetch.js';
import { loadTableMapping } from './table-mapping.js';
import { createTableSql, type TableSql } from './table-sql.js';
import { TableStatusBoard } from './table-status.js';
import { PullMetrics } from './pull-metrics.js';

type PullContext = DaemonContext<PullEnv>;

/**
 * The pull worker. At creation it reads and validates the mapping file (a bad file is a ConfigError: exit 2).
 * Its first cycle checks the mapping against the local database; then every cycle is one round (a page per
 * table, parents first) and, when every table was idle, one long-poll for the next change.
 */
export function createPullWorker({ config, db, logger, health, metrics }: PullContext): DaemonWorker {
  const mapping = loadTableMapping(config.PULL_TABLES_FILE);
  if (!config.CENTRAL_API_TLS_VERIFY) logger.warn('TLS certificate verification of the central API is DISABLED (CENTRAL_API_TLS_VERIFY=false)');
  const http = createHttpClient({
    connectTimeoutMs: config.PULL_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: config.PULL_RESPONSE_TIMEOUT_MS,
    rejectUnauthorized: config.CENTRAL_API_TLS_VERIFY,
    ca: config.CENTRAL_API_CA_FILE ? readCaFile(config.CENTRAL_API_CA_FILE) : undefined,
    // One long-poll per table may be open at once.
    maxSockets: mapping.tables.length + 2,
  });
  const pullMetrics = metrics ? new PullMetrics(metrics) : null;
  const client = new CentralPullClient(
    http,
    { baseUrl: config.CENTRAL_API_URL, token: config.CENTRAL_API_TOKEN, responseTimeoutMs: config.PULL_RESPONSE_TIMEOUT_MS },
    (status) => pullMetrics?.answer(status),
  );
  const loggers = new Map<string, Logger>();
  const loggerOf = (table: string): Logger => {
    let child = loggers.get(table);
    if (!child) loggers.set(table, (child = logger.child({ table })));
    return child;
  };
  const board = new TableStatusBoard(health, { baseMs: config.PULL_RETRY_BASE_MS, capMs: config.PULL_RETRY_CAP_MS }, loggerOf, pullMetrics);
  const central = new CentralStatus(health, logger);
  let engine: PullEngine | null = null;
  let servedTablesChecked = false;

  const start = async (): Promise<PullEngine> => {
    const plan = await preparePlan(db, mapping, config.PULL_PAGE_SIZE, board, logger);
    const sql = new Map<string, TableSql>(plan.tables.map((table) => [table.table, createTableSql(db.dialect, table, plan.referencesTo)]));
    return { db, client, prefetch: new PagePrefetch(), tables: plan.tables, sqlOf: (table) => sql.get(table)!, loggerOf, board, central, policy: config.PULL_REJECT_POLICY };
  };

  /** GET /v1/tables once: a mapped table the server does not offer this PDV is reported instead of polled. */
  const checkServedTables = async (current: PullEngine, signal: AbortSignal): Promise<void> => {
    try {
      const served = await client.tables(signal);
      servedTablesChecked = true;
      if (served === null) return;
      const offered = new Map(served.tables.map((table) => [table.table, table]));
      for (const plan of current.tables) {
        const entry = offered.get(plan.table);
        if (!entry) board.failed(plan.table, `the central API does not offer table ${plan.table} to this PDV (GET /v1/tables)`, { permanent: true });
        else if ([...entry.keyColumns].sort().join(',') !== plan.keyColumns.map((column) => column.central).sort().join(',')) {
          board.failed(plan.table, `the central key of ${plan.table} is (${entry.keyColumns.join(', ')}), the mapped key is (${plan.keyColumns.map((c) => c.central).join(', ')})`, { permanent: true });
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof CentralUnavailable) central.unavailable(error.message);
      else logger.warn({ err: error }, 'could not read the list of tables offered by the central API; pulling anyway');
      servedTablesChecked = !(error instanceof CentralUnavailable);
    }
  };

  return {
    async runCycle(signal): Promise<CycleOutcome> {
      engine ??= await start();
      if (!servedTablesChecked) await checkServedTables(engine, signal);
      const round = await runRound(engine, signal);
      logger.trace({ busy: round.busy, idle: round.idle?.map((entry) => entry.table) ?? null }, 'round done');
      if (round.busy || round.idle === null || config.PULL_LONG_POLL_MS === 0 || signal.aborted) return { busy: round.busy };
      const started = Date.now();
      const waited = await waitForChanges(client, round.idle, config.PULL_LONG_POLL_MS, signal);
      logger.debug({ outcome: waited.kind, table: waited.kind === 'changes' ? waited.table : undefined, ms: Date.now() - started }, 'long-poll ended');
      if (waited.kind === 'error') {
        if (waited.error instanceof CentralUnavailable) central.unavailable(waited.error.message);
        else logger.warn({ err: waited.error }, 'long-poll failed');
        return { busy: false };
      }
      // After a full wait the loop goes straight on: the server's wait already paced it.
      return { busy: waited.kind === 'changes' || waited.kind === 'quiet' };
    },
    async stop() {
      http.close();
    },
  };
}

function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('CENTRAL_API_CA_FILE', `CENTRAL_API_CA_FILE: expected a readable PEM file; found ${JSON.stringify(file)} (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`, { cause });
  }
}
