import { readFileSync } from 'node:fs';
import { CentralAvailability, CentralUnavailableError, ConfigError, createHttpClient, packageVersion, startStatusReporter, type CycleOutcome, type DaemonContext, type DaemonEnv, type DaemonWorker, type Database } from '@goldpdv/core';
import { CentralPullClient, type ChangesAnswer } from './api/central-pull-client.js';
import { ChangeStream } from './api/change-stream.js';
import { waitForChanges } from './api/long-poll.js';
import { TablePages } from './api/table-pages.js';
import type { PullEnv } from './config.js';
import type { Checkpoint } from './db/checkpoint-store.js';
import { pullStoresFor, type PullStores } from './db/pull-stores.js';
import type { Logger } from './logger.js';
import { loadTableMapping, type MappingFile } from './plan/table-mapping.js';
import { buildSyncPlan, type SyncPlan } from './plan/table-plan.js';
import { PullRound } from './pull-round.js';
import { PullMetrics } from './status/pull-metrics.js';
import { TableStatusBoard } from './status/table-status.js';
import type { TableJob } from './table-job.js';

/** Every table is read at least this often, even when the waits name only some. */
const FULL_ROUND_MS = 5 * 60_000;
/** LOOP_STALL_TIMEOUT_MS's default (core's daemon-env.ts), for a worker built without the shared variables. */
const DEFAULT_LOOP_STALL_TIMEOUT_MS = 300_000;

/** runDaemon hands the worker the shared variables too; a worker built on its own (tests, benches) may leave LOOP_STALL_TIMEOUT_MS out. */
type PullContext = DaemonContext<PullEnv & Partial<Pick<DaemonEnv, 'LOOP_STALL_TIMEOUT_MS'>>>;

/**
 * The pull worker. At creation it reads and validates the mapping file (a bad file is a ConfigError: exit 2)
 * and picks the stores of the local database's dialect. Its first cycle checks the mapping against the local
 * database and builds one job per table; then every cycle is one round (a page per table, parents first) and,
 * when every table was idle, one long-poll for the next change.
 */
export function createPullWorker({ config, db, logger, health, metrics }: PullContext): DaemonWorker {
  const mapping = loadTableMapping(config.PULL_TABLES_FILE);
  const stores = pullStoresFor(db.dialect);
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
  // Kept open from one wait to the next: a change that reaches this PDV then costs it no request (change-stream.ts).
  const stream = new ChangeStream(client, {
    onHeldBack: (pauseMs, error) => {
      pullMetrics?.streamHeldBack();
      logger.warn(
        { err: error, pauseMs },
        'a change stream from the central API was held back on the way (a proxy that buffers answers, or a dead connection): waits go as one request each for a while; a reverse proxy in front of central-api must not buffer /v1/changes/stream',
      );
    },
  });
  // A stream's wait is one cycle of the work loop: never so long that liveness would take it for a stall.
  const streamMs = Math.min(config.PULL_STREAM_MS, Math.floor((config.LOOP_STALL_TIMEOUT_MS ?? DEFAULT_LOOP_STALL_TIMEOUT_MS) / 2));
  const loggers = new Map<string, Logger>();
  const loggerOf = (table: string): Logger => {
    let child = loggers.get(table);
    if (!child) loggers.set(table, (child = logger.child({ table })));
    return child;
  };
  const board = new TableStatusBoard(health, { baseMs: config.PULL_RETRY_BASE_MS, capMs: config.PULL_RETRY_CAP_MS }, loggerOf, pullMetrics);
  const central = new CentralAvailability(health, logger, {
    meanwhile: 'local data stays as it is and pulls are retried with backoff',
    unreachableAlertMs: config.CENTRAL_UNREACHABLE_ALERT_MS,
    authAlertMs: config.CENTRAL_AUTH_ALERT_MS,
    metrics,
  });
  let round: PullRound | null = null;
  /** The tables the last wait said changed: the next rounds read only those (see PullRound.run). */
  let focus: Set<string> | null = null;
  let lastFullRoundAt = 0;
  let servedTablesChecked = false;
  // The fleet view's heartbeat: beside the loop, never in its way.
  const reporter = startStatusReporter({
    service: 'pull-service',
    version: packageVersion(new URL('../package.json', import.meta.url)),
    db,
    health,
    http,
    centralUrl: config.CENTRAL_API_URL,
    token: config.CENTRAL_API_TOKEN,
    intervalMs: config.STATUS_REPORT_INTERVAL_MS,
    logger,
  });

  const start = async (): Promise<PullRound> => {
    const plan = await checkMapping(db, stores, mapping, config.PULL_PAGE_SIZE, board, logger);
    const jobs = plan.tables.map((table): TableJob => ({
      plan: table,
      logger: loggerOf(table.table),
      db,
      pages: new TablePages(client, table.table, table.pageSize),
      rows: stores.applyStore(table, plan.referencesTo(table.localTable)),
      checkpoints: stores.checkpoints,
      rejectedRows: stores.rejectedRows,
      policy: config.PULL_REJECT_POLICY,
    }));
    return new PullRound(jobs, db, stores.checkpoints, board, central);
  };

  /** GET /v1/tables once: a mapped table the server does not offer this PDV is reported instead of polled. */
  const checkServedTables = async (jobs: readonly TableJob[], signal: AbortSignal): Promise<void> => {
    try {
      const served = await client.tables(signal);
      servedTablesChecked = true;
      if (served === null) return;
      const offered = new Map(served.tables.map((table) => [table.table, table]));
      for (const { plan } of jobs) {
        const entry = offered.get(plan.table);
        if (!entry) board.failed(plan.table, `the central API does not offer table ${plan.table} to this PDV (GET /v1/tables)`, { permanent: true });
        else if ([...entry.keyColumns].sort().join(',') !== plan.keyColumns.map((column) => column.central).sort().join(',')) {
          board.failed(plan.table, `the central key of ${plan.table} is (${entry.keyColumns.join(', ')}), the mapped key is (${plan.keyColumns.map((c) => c.central).join(', ')})`, { permanent: true });
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof CentralUnavailableError) central.unavailable(error.message, error.status);
      else logger.warn({ err: error }, 'could not read the list of tables offered by the central API; pulling anyway');
      servedTablesChecked = !(error instanceof CentralUnavailableError);
    }
  };

  return {
    async runCycle(signal): Promise<CycleOutcome> {
      round ??= await start();
      if (!servedTablesChecked) await checkServedTables(round.jobs, signal);
      // After a wait that named its tables, only those are read; at least every FULL_ROUND_MS every table is, so
      // that quiet tables' checkpoints keep up with the server (and stay clear of its retention).
      const full = focus === null || Date.now() - lastFullRoundAt >= FULL_ROUND_MS;
      if (full) lastFullRoundAt = Date.now();
      const result = await round.run(signal, full ? null : focus);
      logger.trace({ busy: result.busy, idle: result.idle?.map((entry) => entry.table) ?? null }, 'round done');
      if (result.busy || result.idle === null || config.PULL_LONG_POLL_MS === 0 || signal.aborted) return { busy: result.busy };
      const started = Date.now();
      // The changed tables' first pages come with the wait's answer, at the smallest page size of the tables.
      const waitedTables = new Set(result.idle.map(({ table }) => table));
      const pageLimit = Math.min(...round.jobs.filter((job) => waitedTables.has(job.plan.table)).map((job) => job.plan.pageSize));
      // A long stream only while every table waits on it: a table backing off after a failure, postponed, or
      // holding deletes back is stepped again by the next round, which a long stream would put off.
      const everyTableWaits = result.idle.length === round.jobs.length && result.idle.every(({ checkpoint }) => checkpoint.pendingDeletes.length === 0);
      const waited = await waitForChanges(client, result.idle, config.PULL_LONG_POLL_MS, signal, {
        pageLimit: Number.isFinite(pageLimit) ? pageLimit : null,
        stream,
        streamMs: everyTableWaits ? streamMs : 0,
      });
      if (waited.kind === 'changes') offerCarriedPages(round.jobs, result.idle, waited.pages);
      logger.debug({ outcome: waited.kind, table: waited.kind === 'changes' ? waited.table : undefined, ms: Date.now() - started }, 'long-poll ended');
      if (waited.kind === 'error') {
        if (waited.error instanceof CentralUnavailableError) central.unavailable(waited.error.message, waited.error.status);
        else logger.warn({ err: waited.error }, 'long-poll failed');
        focus = null;
        return { busy: false };
      }
      // A wait that ran its full time says no table changed: the next round asks none of them (until the next
      // full round); one that named tables, those; anything else (an early or failed wait), every table.
      if (waited.kind === 'quiet') focus = new Set();
      else focus = waited.kind === 'changes' && waited.tables !== null ? new Set(waited.tables) : null;
      // After a full wait the loop goes straight on: the server's wait already paced it.
      return { busy: waited.kind === 'changes' || waited.kind === 'quiet' };
    },
    async stop() {
      stream.close();
      await reporter.stop();
      http.close();
    },
  };
}

/**
 * Start-up against the local database (after the schema scripts ran): check the mapping against the catalog,
 * report every table that cannot be pulled before any row moves, make sure each pulled table has its checkpoint
 * row, and put every table on the status board.
 */
async function checkMapping(db: Database, stores: PullStores, mapping: MappingFile, pageSize: number, board: TableStatusBoard, logger: Logger): Promise<SyncPlan> {
  const schema = await stores.localSchema.read(db, mapping.tables.map((table) => table.local));
  const plan = buildSyncPlan(mapping, schema, pageSize);
  if (plan.orderWarning) logger.warn({ file: mapping.file }, plan.orderWarning);
  await stores.checkpoints.ensure(db, plan.tables.map((table) => table.table));
  const checkpoints = await stores.checkpoints.readAll(db);
  for (const table of plan.tables) {
    const checkpoint = checkpoints.get(table.table);
    board.track(table.table, checkpoint?.mode ?? 'delta', checkpoint?.lastSuccessAt ?? null);
  }
  for (const problem of plan.problems) {
    board.track(problem.table, 'delta', null);
    board.failed(problem.table, `mapping: ${problem.message}`, { permanent: true });
  }
  board.publish();
  logger.info(
    { file: mapping.file, order: plan.tables.map((table) => table.table), notPulled: plan.problems.map((problem) => problem.table) },
    'table mapping checked against the local database',
  );
  return plan;
}

/**
 * Hands each page a wait's answer carried to its table, keyed by the checkpoint the wait was asked from: the
 * round's step for that table takes it instead of asking again (TablePages.offerChanges), and checks and applies
 * it as any page.
 */
function offerCarriedPages(jobs: readonly TableJob[], waited: readonly { table: string; checkpoint: Checkpoint }[], pages: ReadonlyMap<string, ChangesAnswer> | undefined): void {
  if (pages === undefined) return;
  for (const { table, checkpoint } of waited) {
    const answer = pages.get(table);
    const job = jobs.find((candidate) => candidate.plan.table === table);
    if (answer !== undefined && job !== undefined) job.pages.offerChanges(checkpoint.version, checkpoint.syncToken, answer);
  }
}

function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('CENTRAL_API_CA_FILE', `CENTRAL_API_CA_FILE: expected a readable PEM file; found ${JSON.stringify(file)} (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`, { cause });
  }
}
