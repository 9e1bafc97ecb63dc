import { cpus, loadavg } from 'node:os';
import { CommitStream, seedCatalog, type CatalogShape } from './catalog.js';
import { startCentralReplica, type CentralReplica } from './central-replicas.js';
import { counterBetween, requestsBetween, scrapeMetrics, type CentralMetrics } from './central-metrics.js';
import type { FleetOptions } from './options.js';
import { PdvFleet } from './pdv-workers.js';
import { openFileCount } from './proc-stats.js';
import type { WorkerPdv } from './protocol.js';
import { registerPdvs } from './register-pdvs.js';
import { createScratchDatabase } from './scratch-database.js';
import { MISSED_AFTER_MS, Sightings } from './visibility.js';

export const PRODUCTS = 200;
const SERVED_TABLES = ['categoria', 'produto', 'loja', 'preco_loja', 'cliente', 'forma_pagamento', 'operador', 'estoque'];
const TWO_TABLES = ['produto', 'preco_loja'];
/** PostgreSQL 15 flushes a backend's counters within 10 s when it goes idle: wait that long before reading them. */
const STATS_SETTLE_MS = 11_000;

export interface FleetResult {
  pdvs: number;
  replicas: number;
  workers: number;
  tables: string;
  seconds: number;
  idle_seconds: number;
  commits: number;
  expected_sightings: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  /** Each commit's slowest sighting: the median over the commits, and the three slowest commits'. */
  commit_max_ms_median: number | null;
  commit_max_ms_worst: number[];
  /** Each commit's slowest sighting in commit order (p: a product, l: a loja's price). */
  commit_max_ms_in_order: string;
  /** Each commit's first sighting in order: central's time to learn of it and answer one PDV. */
  commit_first_ms_in_order: string;
  /** The same for the warm-up commits, which the figures above leave out. */
  warmup_commit_max_ms_in_order: string;
  missed: number;
  errors: number;
  http_errors: number;
  wrong_deliveries: number;
  failed_commits: number;
  pdvs_failed_to_start: number;
  db_queries_per_commit: number | null;
  db_queries_per_commit_net: number | null;
  db_queries_source: string;
  /** Of db_queries_per_commit: sync_pdv token lookups (index scans of uq_sync_pdv_token_hash): a PDV first seen, or one whose cached token the periodic revalidation did not keep alive. */
  db_token_lookups_per_commit: number | null;
  /** central's own count of its serving-path reads (shared page reads + serving clock ticks), per commit. */
  db_serving_reads_per_commit: number | null;
  /**
   * Commits that changed a served table in the window: the harness's, and each sale batch (its items move the
   * loja's estoque rows). Each wakes the serving clock, so what the clock reads is their cost, not the harness's
   * commits' alone.
   */
  tracked_commits: number;
  db_queries_per_tracked_commit: number | null;
  db_serving_reads_per_tracked_commit: number | null;
  db_xact_per_s_idle: number;
  db_xact_per_s_commit_phase: number;
  changes_requests_per_commit: number | null;
  central_cpu_ms_per_idle_pdv_per_min: number;
  central_cpu_pct_idle: number;
  central_cpu_pct_commit_phase: number;
  /**
   * central's CPU in the commit phase above its idle rate, per commit x PDV sighting: what a woken PDV costs it
   * (the sales' ingest is in it too), to hold against bench:wake-floor's server CPU per wake.
   */
  central_cpu_us_per_sighting: number | null;
  central_rss_mb: number;
  central_open_fds_max: number;
  harness_cpu_ms_per_s: number;
  /** The harness's CPU in the commit phase above its idle rate, per sighting: a simulated PDV's cost of a line, on the same cores. */
  harness_cpu_us_per_sighting: number | null;
  harness_rss_mb: number;
  worker_open_fds: number;
  /** hits / (hits + reads) of the shared changes pages over the commit phase and its settling. */
  shared_page_hit_ratio: number | 'n/a';
  shared_page_reads: number | null;
  shared_page_hits: number | null;
  /** Changes pages answered empty from the serving clock with no read. */
  shared_page_quiet: number | null;
  /**
   * The wait rounds (a stream line's or a wait's reads: which tables changed, their first pages) central worked
   * out, those it handed over from one worked out for another PDV while none of their tables moved, and the changes a waiting
   * stream was found to have nothing in from another stream's round (it waited on without one); n/a without the
   * counters (an older central-api).
   */
  wait_rounds_worked: number | null;
  wait_rounds_shared: number | null;
  wait_rounds_quiet: number | null;
  serving_clock_ticks: number | null;
  serving_clock_ticks_per_s: number | null;
  /** goldpdv_long_polls_waiting at the end of the idle phase (all replicas). */
  long_polls_waiting_idle: number | null;
  /** central's own count of 503 (capacity caps) and 429 (rate limit) answers, over the whole run. */
  capacity_refused: number | null;
  rate_limited: number | null;
  /** What the PDVs got: 503/429 with Retry-After, honoured and not counted in errors. */
  pdv_refused_503: number;
  pdv_refused_429: number;
  /** How the PDVs waited: 'one request' (GET /v1/changes/wait), 'per table' (it answered 404, or turned off). */
  wait_mode: string;
  /** Which tables a round after a wake reads. */
  rounds: string;
  /** Whether the waits carried the changed tables' first pages. */
  wait_pages: string;
  wait_requests: number;
  /** Heartbeat lines the PDVs read on their change streams. */
  stream_heartbeats: number;
  central: string;
  /** The harness workers' nice value (--harness-nice; 0 unless set). */
  harness_nice: number;
  sales_posted: number;
  status_reports: number;
  setup_seconds: number;
  machine: string;
}

export type Progress = (line: string) => void;

export class FleetAbortedError extends Error {}

/** Resolves after `ms`, or rejects as soon as `signal` aborts (the run then cleans up in its finally). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(new FleetAbortedError(String(signal.reason ?? 'aborted')));
    }
    if (signal.aborted) aborted();
    else signal.addEventListener('abort', aborted, { once: true });
  });
}

/** `work`, unless `signal` aborts first. */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const aborted = (): void => reject(new FleetAbortedError(String(signal.reason ?? 'aborted')));
    if (signal.aborted) return aborted();
    signal.addEventListener('abort', aborted, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', aborted));
  });
}
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** Whether the PDV at `index` also sells: every 1/fraction-th PDV, spread evenly over lojas and replicas. */
const sells = (index: number, fraction: number): boolean => Math.floor((index + 1) * fraction) > Math.floor(index * fraction);

/**
 * The whole run: a scratch database, R central-api processes, N PDVs registered with the admin CLI and simulated
 * over a few worker processes, an idle phase (no commits, no sales: only long-polls and status reports), then a
 * commit phase (a stamped commit every 2 s and the sales), then everything stopped and dropped.
 */
export async function runFleetBench(options: FleetOptions, progress: Progress, signal: AbortSignal): Promise<FleetResult> {
  const setupStarted = Date.now();
  const loadAtStart = loadavg()[0]!.toFixed(2);
  const shape: CatalogShape = { lojas: options.lojas, products: PRODUCTS };
  const database = await createScratchDatabase(options.pgUrl);
  const replicas: CentralReplica[] = [];
  let fleet: PdvFleet | null = null;
  const commits = new CommitStream(database.url, shape, options.commitIntervalMs);
  try {
    progress(`scratch database ${database.name}; starting central-api replica 1 (applies the schema)`);
    replicas.push(await startCentralReplica(database.url, 1, options.centralDir));
    await seedCatalog(database.url, shape);
    progress(`catalog seeded (${options.lojas} lojas, ${PRODUCTS} products, their prices); registering ${options.pdvs} PDVs with central-api pdv add --from-csv`);
    const registered = await registerPdvs(database.url, options.pdvs, options.lojas, options.centralDir);
    replicas.push(...(await Promise.all(Array.from({ length: options.replicas - 1 }, (_, index) => startCentralReplica(database.url, index + 2, options.centralDir)))));

    const pdvs: WorkerPdv[] = registered.map((pdv, index) => ({ index, ...pdv, baseUrl: replicas[index % replicas.length]!.baseUrl, sells: sells(index, options.salesFraction) }));
    const sightings = new Sightings(pdvs.length);
    fleet = new PdvFleet((data) => sightings.add(data));
    const tables = options.tables === 'all' ? SERVED_TABLES : TWO_TABLES;
    progress(`${replicas.length} replica(s) up; starting ${pdvs.length} PDVs over ${options.workers} worker process(es), tables ${tables.join(', ')}`);
    const starting = fleet.start(pdvs, {
      workers: options.workers,
      nice: options.harnessNice,
      tables,
      longPollMs: options.longPollMs,
      streamMs: options.streamMs,
      waitEndpoint: options.waitEndpoint,
      stream: options.stream,
      focusedRounds: options.focusedRounds,
      waitPages: options.waitPages,
      statusIntervalMs: options.statusIntervalMs,
      saleIntervalMs: options.saleIntervalMs,
      products: PRODUCTS,
      startConcurrency: 50,
    });
    const started = await bringUp(fleet, starting, pdvs.length, options.setupSeconds, progress, signal);
    const setupSeconds = (Date.now() - setupStarted) / 1_000;
    progress(`${started.pdvs - started.failed} PDVs long-polling (${started.failed} failed to start) after ${round(setupSeconds)} s; idle phase ${options.idleSeconds} s`);

    const centralCpu = (): number => replicas.reduce((sum, replica) => sum + replica.cpuMs(), 0);
    const centralRss = (): number => replicas.reduce((sum, replica) => sum + replica.rssMb(), 0);
    const centralFds = (): number => Math.max(...replicas.map((replica) => openFileCount(replica.pid)));
    const harnessCpu = (): number => fleet!.cpuMs() + (process.cpuUsage().user + process.cpuUsage().system) / 1_000;
    let rssMax = centralRss();
    let fdsMax = centralFds();

    // Idle phase: the fleet waits on its long-polls and reports its status; nothing commits.
    await sleep(2_000, signal);
    const idleStart = { at: Date.now(), cpu: centralCpu(), xact: await database.transactions(), harness: harnessCpu() };
    await sleep(options.idleSeconds * 1_000, signal);
    const idleEnd = { at: Date.now(), cpu: centralCpu(), xact: await database.transactions(), harness: harnessCpu() };
    // A replica out of file descriptors cannot answer its /metrics either: its figures are then n/a, the run goes on.
    const scrape = async (when: string): Promise<CentralMetrics> => {
      try {
        return await scrapeMetrics(replicas.map((replica) => replica.adminUrl));
      } catch (error) {
        progress(`could not read central-api /metrics ${when} (${(error as Error).message}${(error as Error).cause instanceof Error ? `: ${((error as Error).cause as Error).message}` : ''}); its figures are n/a`);
        return { requestsByRoute: new Map(), counters: new Map() };
      }
    };
    const metricsIdle = await scrape('at the end of the idle phase');
    rssMax = Math.max(rssMax, centralRss());
    fdsMax = Math.max(fdsMax, centralFds());
    const idleMinutes = (idleEnd.at - idleStart.at) / 60_000;
    const idleCpuMs = idleEnd.cpu - idleStart.cpu;
    const idleXactPerMs = (idleEnd.xact - idleStart.xact) / (idleEnd.at - idleStart.at);

    // Warm-up: a long-running replica has met commits and sales before; a fresh one meets its first ones here,
    // unmeasured, and the sales go straight on into the commit phase.
    if (options.warmUpCommits > 0) {
      progress(`warm-up: ${options.warmUpCommits} commits ${options.commitIntervalMs} ms apart, with sales (measured apart, not in the figures)`);
      fleet.setSales(true);
      await commits.warmUp(options.warmUpCommits, signal);
    }
    progress(`commit phase ${options.seconds} s: a stamped commit every ${options.commitIntervalMs} ms, sales from ${pdvs.filter((pdv) => pdv.sells).length} PDVs`);
    const metricsBefore = await scrape('before the commit phase');
    const salesBefore = fleet.counters();
    const commitStart = { at: Date.now(), cpu: centralCpu(), xact: await database.transactions(), harness: harnessCpu(), tokens: await database.tokenLookups() };
    fleet.setSales(true);
    await commits.start();
    await sleep(options.seconds * 1_000, signal);
    await commits.stop();
    fleet.setSales(false);
    const commitEnd = { at: Date.now(), cpu: centralCpu(), harness: harnessCpu() };
    rssMax = Math.max(rssMax, centralRss());
    fdsMax = Math.max(fdsMax, centralFds());
    // The last commit gets its full window; the database's counters settle meanwhile.
    await sleep(Math.max(MISSED_AFTER_MS, STATS_SETTLE_MS) + 1_000, signal);
    const settled = { at: Date.now(), xact: await database.transactions(), tokens: await database.tokenLookups() };
    const metricsAfter = await scrape('after the commit phase');
    const metricsRead = metricsBefore.requestsByRoute.size > 0 && metricsAfter.requestsByRoute.size > 0;
    const counters = fleet.counters();
    const saleBatches = counters.saleBatches - salesBefore.saleBatches;
    const harnessRss = fleet.rssMb() + process.memoryUsage().rss / 1_048_576;

    const figures = sightings.figures(commits.commits, (index) => pdvs[index]!.lojaId);
    const warmUp = sightings.figures(commits.warmUpCommits, (index) => pdvs[index]!.lojaId);
    const committed = commits.commits.length;
    // Transactions of the scratch database over the commit phase and its settling, less the harness's own commits
    // and the sale batches' ingest transactions (one each). Gross: the idle fleet's own traffic of that time is in
    // it. Net: less the idle phase's rate, which only means something while central keeps up (when it does not,
    // the idle traffic shrinks as requests queue, and the net figure can even come out negative).
    const commitXact = settled.xact - commitStart.xact;
    // The first token reading is a transaction of the scratch database inside the window; the second comes after.
    const gross = commitXact - committed - saleBatches - 1;
    const tokenLookups = settled.tokens - commitStart.tokens;
    const net = gross - idleXactPerMs * (settled.at - commitStart.at);
    const between = (name: Parameters<typeof counterBetween>[2]): number | null => counterBetween(metricsBefore, metricsAfter, name);
    const hits = between('goldpdv_shared_page_hits_total');
    const reads = between('goldpdv_shared_page_reads_total');
    const ticks = between('goldpdv_serving_clock_ticks_total');
    const sinceStart = (name: Parameters<typeof counterBetween>[2]): number | null => metricsAfter.counters.get(name) ?? null;
    const errors = counters.httpErrors + counters.wrongDeliveries + commits.failures;
    return {
      pdvs: pdvs.length,
      replicas: replicas.length,
      workers: options.workers,
      tables: options.tables,
      seconds: options.seconds,
      idle_seconds: options.idleSeconds,
      commits: committed,
      expected_sightings: figures.expected,
      p50_ms: figures.p50Ms,
      p99_ms: figures.p99Ms,
      max_ms: figures.maxMs,
      commit_max_ms_median: figures.commitMaxMs[Math.floor(figures.commitMaxMs.length / 2)] ?? null,
      commit_max_ms_worst: figures.commitMaxMs.slice(-3).reverse(),
      commit_max_ms_in_order: figures.commitMaxInOrder.join(' '),
      commit_first_ms_in_order: figures.commitFirstInOrder.join(' '),
      warmup_commit_max_ms_in_order: warmUp.commitMaxInOrder.join(' '),
      missed: figures.missed,
      errors,
      http_errors: counters.httpErrors,
      wrong_deliveries: counters.wrongDeliveries,
      failed_commits: commits.failures,
      pdvs_failed_to_start: started.failed,
      db_queries_per_commit: committed === 0 ? null : round(gross / committed),
      db_queries_per_commit_net: committed === 0 ? null : round(net / committed),
      db_token_lookups_per_commit: committed === 0 ? null : round(tokenLookups / committed),
      db_serving_reads_per_commit: committed === 0 || reads === null || ticks === null ? null : round((reads + ticks) / committed, 2),
      tracked_commits: committed + saleBatches,
      db_queries_per_tracked_commit: committed + saleBatches === 0 ? null : round(gross / (committed + saleBatches), 2),
      db_serving_reads_per_tracked_commit: committed + saleBatches === 0 || reads === null || ticks === null ? null : round((reads + ticks) / (committed + saleBatches), 2),
      db_xact_per_s_idle: round(idleXactPerMs * 1_000),
      db_xact_per_s_commit_phase: round((commitXact / (settled.at - commitStart.at)) * 1_000),
      db_queries_source:
        'pg_stat_database xact_commit+xact_rollback of the scratch database over the commit phase and 12 s after, less the harness commits and one per sale batch (transactions, not statements: pg_stat_statements is not in shared_preload_libraries on this server); net = less the idle rate too',
      changes_requests_per_commit: committed === 0 || !metricsRead ? null : round(requestsBetween(metricsBefore, metricsAfter, '/v1/changes') / committed),
      central_cpu_ms_per_idle_pdv_per_min: round(idleCpuMs / pdvs.length / idleMinutes, 3),
      central_cpu_pct_idle: round((idleCpuMs / (idleEnd.at - idleStart.at)) * 100),
      central_cpu_pct_commit_phase: round(((commitEnd.cpu - commitStart.cpu) / (commitEnd.at - commitStart.at)) * 100),
      central_cpu_us_per_sighting:
        figures.expected === 0 ? null : round(((commitEnd.cpu - commitStart.cpu - (idleCpuMs / (idleEnd.at - idleStart.at)) * (commitEnd.at - commitStart.at)) * 1_000) / figures.expected),
      central_rss_mb: round(rssMax),
      central_open_fds_max: fdsMax,
      harness_cpu_ms_per_s: round((commitEnd.harness - idleStart.harness) / ((commitEnd.at - idleStart.at) / 1_000)),
      harness_cpu_us_per_sighting:
        figures.expected === 0
          ? null
          : round(((commitEnd.harness - commitStart.harness - ((idleEnd.harness - idleStart.harness) / (idleEnd.at - idleStart.at)) * (commitEnd.at - commitStart.at)) * 1_000) / figures.expected),
      harness_rss_mb: round(harnessRss),
      worker_open_fds: counters.openSockets,
      shared_page_hit_ratio: hits === null || reads === null || hits + reads === 0 ? 'n/a' : round(hits / (hits + reads), 4),
      shared_page_reads: reads,
      shared_page_hits: hits,
      shared_page_quiet: between('goldpdv_shared_page_quiet_total'),
      wait_rounds_worked: between('goldpdv_wait_rounds_worked_total'),
      wait_rounds_shared: between('goldpdv_wait_rounds_shared_total'),
      wait_rounds_quiet: between('goldpdv_wait_rounds_quiet_total'),
      serving_clock_ticks: ticks,
      serving_clock_ticks_per_s: ticks === null ? null : round(ticks / ((settled.at - commitStart.at) / 1_000)),
      long_polls_waiting_idle: metricsIdle.counters.get('goldpdv_long_polls_waiting') ?? null,
      capacity_refused: sinceStart('goldpdv_capacity_refused_total'),
      rate_limited: sinceStart('goldpdv_rate_limited_total'),
      pdv_refused_503: counters.refused503,
      pdv_refused_429: counters.refused429,
      rounds: options.focusedRounds ? 'focused (the tables the wait named)' : 'full (every table after a wake)',
      wait_pages: options.waitPages ? 'carried (the wait answers with the changed tables\' first pages)' : 'names only (--no-wait-pages)',
      wait_mode: !options.waitEndpoint
        ? 'per table (--no-wait-endpoint)'
        : counters.waitFallbacks > 0
          ? `per table (${counters.waitFallbacks} PDVs got 404 to /v1/changes/wait)`
          : !options.stream
            ? 'one request per wait (/v1/changes/wait, --no-stream)'
            : counters.streamFallbacks > 0
              ? `one request per wait (${counters.streamFallbacks} PDVs got 404 to /v1/changes/stream)`
              : options.streamMs > options.longPollMs
                ? `change stream (/v1/changes/stream), ${options.streamMs / 1_000} s with heartbeats every ${Math.min(options.longPollMs, 30_000) / 1_000} s`
                : `change stream (/v1/changes/stream), ${options.longPollMs / 1_000} s without heartbeats (--short-streams)`,
      wait_requests: counters.waitRequests,
      stream_heartbeats: counters.heartbeats,
      central: options.centralDir ?? 'this tree',
      harness_nice: options.harnessNice,
      sales_posted: counters.salesPosted - salesBefore.salesPosted,
      status_reports: counters.statusReports,
      setup_seconds: round(setupSeconds),
      machine: `${cpus().length} cores, 1-min load average ${loadAtStart} at the start, ${loadavg()[0]!.toFixed(2)} at the end (shared with other work)`,
    };
  } finally {
    await commits.stop().catch(() => {});
    await fleet?.stop();
    reportErrorsSeen(fleet?.errorSamples() ?? [], replicas, progress);
    await Promise.all(replicas.map((replica) => replica.stop()));
    await database.drop();
  }
}

/** What went wrong, each kind once: the PDVs' first errors, and the replicas' warn-or-worse log lines. */
function reportErrorsSeen(samples: readonly string[], replicas: readonly CentralReplica[], progress: Progress): void {
  const kinds = [...new Set(samples.map((sample) => sample.replace(/loja\d+-pdv\d+/g, '<pdv>').replace(/loja \d+/g, 'loja <n>')))];
  if (kinds.length > 0) progress(`errors seen by the PDVs (first of each kind):\n  ${kinds.slice(0, 10).join('\n  ')}`);
  const warnings = new Map<string, number>();
  for (const replica of replicas) for (const [message, count] of replica.warnings) warnings.set(message, (warnings.get(message) ?? 0) + count);
  if (warnings.size > 0) progress(`central-api warn/error log lines:\n  ${[...warnings].map(([message, count]) => `${count} x ${message}`).slice(0, 10).join('\n  ')}`);
}

/**
 * Waits for every PDV to be loaded and long-polling, saying how many are every 30 s; past `limitSeconds` the run
 * stops with how far it got (a central-api that cannot bring the fleet up is a result too).
 */
async function bringUp(fleet: PdvFleet, starting: Promise<{ pdvs: number; failed: number }>, total: number, limitSeconds: number, progress: Progress, signal: AbortSignal): Promise<{ pdvs: number; failed: number }> {
  const started = Date.now();
  const tell = setInterval(() => {
    const counters = fleet.counters();
    progress(`  ${counters.started} of ${total} PDVs long-polling (${counters.httpErrors} HTTP errors so far)`);
  }, 30_000);
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(), limitSeconds * 1_000);
  const either = AbortSignal.any([signal, limit.signal]);
  try {
    return await unlessAborted(starting, either);
  } catch (error) {
    if (!limit.signal.aborted || signal.aborted) throw error;
    const counters = fleet.counters();
    throw new FleetAbortedError(
      `only ${counters.started} of ${total} PDVs were loaded and long-polling after ${Math.round((Date.now() - started) / 1_000)} s (--setup-seconds ${limitSeconds}); ${counters.httpErrors} HTTP errors meanwhile`,
    );
  } finally {
    clearInterval(tell);
    clearTimeout(timer);
  }
}
