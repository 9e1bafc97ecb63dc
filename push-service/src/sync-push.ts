import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DaemonContext, DaemonWorker, CycleOutcome, Database } from '@goldpdv/core';
import { ConfigError, withRetry } from '@goldpdv/core';
import type { pushEnv } from './config.js';
import type { z } from 'zod';
import { CentralClient } from './central-client.js';
import { createHttpClient } from '@goldpdv/core';
import { claimOutboxBatch, purgeSentRows, readOutboxBacklog, recordOutcomes, refreshOutboxStatistics, releaseLeases } from './outbox/outbox-store.js';
import { triageRows } from './triage.js';
import { PushMetrics } from './push-metrics.js';
import { sendSignal } from './send-signal.js';

type PushConfig = DaemonContext<z.infer<z.ZodObject<typeof pushEnv>>>['config'];

const BACKLOG_REFRESH_MS = 5_000;
const RETENTION_EVERY_MS = 10 * 60_000;
/** How long the lanes of one cycle keep going under a backlog before the loop reports health again. */
const LANE_SPELL_MS = 2_000;

/**
 * The push worker: claim a batch under a lease, set aside what cannot be sent, send the rest, record every
 * outcome in one transaction. Several batches run at once (PUSH_CONCURRENCY), each on its own streams.
 */
export function createPushWorker({ config, db, logger, health, metrics: register }: DaemonContext<PushConfig>): DaemonWorker & { metrics: PushMetrics } {
  if (config.PUSH_MODE === 'per-event' && !config.PUSH_EVENT_URL_TEMPLATE) {
    throw new ConfigError('PUSH_EVENT_URL_TEMPLATE', 'PUSH_EVENT_URL_TEMPLATE: expected a URL template such as https://vps/api/{type} when PUSH_MODE=per-event; found nothing (the variable is not set)');
  }
  if (config.PUSH_LEASE_MS <= config.PUSH_CONNECT_TIMEOUT_MS + config.PUSH_RESPONSE_TIMEOUT_MS) {
    // A lease shorter than a send would let another worker claim a batch that is still in flight.
    throw new ConfigError(
      'PUSH_LEASE_MS',
      `PUSH_LEASE_MS: expected more than PUSH_CONNECT_TIMEOUT_MS + PUSH_RESPONSE_TIMEOUT_MS (${config.PUSH_CONNECT_TIMEOUT_MS + config.PUSH_RESPONSE_TIMEOUT_MS}); found ${config.PUSH_LEASE_MS}`,
    );
  }
  // Each claim is leased as '<worker>/<claim number>' (lease_owner holds 64 characters), so that an outcome can
  // tell its own claim from a later one of the same worker.
  // The random part first: a long hostname cut to fit must not leave two processes the same id.
  const worker = `${randomBytes(4).toString('hex')}:${process.pid}:${hostname()}`.slice(0, 50);
  let claims = 0;
  // A send stops this long before its lease runs out, leaving time to record its outcomes: half the slack above
  // one whole request (connect + response timeouts), but at least 1 s and at most 10 s, and never more than half
  // the lease. With a lease barely above one request, a slow request is cut before its own timeout.
  const slackMs = config.PUSH_LEASE_MS - config.PUSH_CONNECT_TIMEOUT_MS - config.PUSH_RESPONSE_TIMEOUT_MS;
  const sendBudgetMs = config.PUSH_LEASE_MS - Math.min(10_000, config.PUSH_LEASE_MS / 2, Math.max(1_000, slackMs / 2));
  if (!config.CENTRAL_API_TLS_VERIFY) logger.warn('TLS certificate verification of the central API is DISABLED (CENTRAL_API_TLS_VERIFY=false)');
  const http = createHttpClient({
    connectTimeoutMs: config.PUSH_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: config.PUSH_RESPONSE_TIMEOUT_MS,
    gzipMinBytes: config.PUSH_GZIP_MIN_BYTES,
    rejectUnauthorized: config.CENTRAL_API_TLS_VERIFY,
    ca: config.CENTRAL_API_CA_FILE ? readFileSync(config.CENTRAL_API_CA_FILE, 'utf8') : undefined,
    maxSockets: Math.max(config.PUSH_CONCURRENCY, config.PUSH_PER_EVENT_CONCURRENCY),
  });
  const client = new CentralClient(
    http,
    {
      mode: config.PUSH_MODE,
      baseUrl: config.CENTRAL_API_URL,
      token: config.CENTRAL_API_TOKEN,
      urlTemplate: config.PUSH_EVENT_URL_TEMPLATE,
      concurrency: config.PUSH_PER_EVENT_CONCURRENCY,
    },
    { baseMs: config.PUSH_BACKOFF_BASE_MS, capMs: config.PUSH_BACKOFF_CAP_MS },
  );
  const metrics = new PushMetrics(register);
  let centralDownSince: number | null = null;
  let lastBacklogAt = 0;
  let lastRetentionAt = 0;
  let statisticsRefreshed = false;

  async function runBatch(signal: AbortSignal): Promise<boolean> {
    const owner = `${worker}/${(++claims).toString(36)}`;
    // Taken before the claim: the lease starts on the database clock during the claim, never before this.
    const claimedAt = Date.now();
    const rows = await withRetry(() => claimOutboxBatch(db, { owner, leaseMs: config.PUSH_LEASE_MS, limit: config.PUSH_BATCH_SIZE, lanes: config.PUSH_CONCURRENCY }));
    if (rows.length === 0) return false;
    const started = Date.now();
    const { ready, setAside } = triageRows(rows, config.PUSH_POISON_CLAIM_LIMIT);
    metrics.inFlight += ready.length;
    let report;
    // Per-event mode and the halving of a refused batch make several requests in a row: all of them must end
    // while the lease holds, or another worker could claim and send the same rows at the same time.
    const send = sendSignal(signal, config.PUSH_STOP_GRACE_MS, sendBudgetMs - (Date.now() - claimedAt));
    try {
      report = ready.length > 0 ? await client.send(ready, send.signal) : { outcomes: [], centralProblem: null, statuses: [] };
    } finally {
      send.dispose();
      metrics.inFlight -= ready.length;
    }
    if (send.leaseRanOut()) logger.warn({ owner, budgetMs: sendBudgetMs, claimed: rows.length }, 'a batch ran out of lease time; its unsent events are retried later');
    // If this fails for good the leases expire and the rows are sent again; the central inbox dedupes them.
    const decided = [...setAside, ...report.outcomes];
    const dropped = new Set(await withRetry(() => recordOutcomes(db, decided)));
    if (dropped.size > 0) {
      logger.warn({ owner, dropped: dropped.size }, 'outcomes not recorded: this claim no longer holds these events (its lease ran out and another claim took them, or a retried write had recorded them already)');
    }
    const outcomes = decided.filter((outcome) => !dropped.has(outcome));
    metrics.record(outcomes, report.statuses, Date.now() - started);
    // A send cut short by its own lease says nothing about the central API.
    if (!send.leaseRanOut()) reportCentral(report.centralProblem);
    for (const dead of outcomes) {
      if (dead.kind === 'dead') logger.warn({ eventId: dead.row.eventId, eventType: dead.row.eventType, streamKey: dead.row.streamKey, reason: dead.reason }, 'event moved to dead letters');
    }
    const sent = outcomes.filter((o) => o.kind === 'sent').length;
    logger.debug({ claimed: rows.length, sent, retried: outcomes.filter((o) => o.kind === 'retry').length, ms: Date.now() - started }, 'batch done');
    return rows.length >= config.PUSH_BATCH_SIZE;
  }

  function reportCentral(problem: string | null): void {
    if (problem === null) {
      if (centralDownSince !== null) logger.info({ downForMs: Date.now() - centralDownSince }, 'central API reachable again');
      centralDownSince = null;
      health.clearDegraded('central-api');
      return;
    }
    // An unreachable VPS is reported, not treated as a failure: restarting the PDV's container would not help.
    if (centralDownSince === null) {
      centralDownSince = Date.now();
      logger.warn({ problem }, 'central API unavailable; events stay in the outbox and are retried with backoff');
    }
    health.setDegraded('central-api', problem);
  }

  async function housekeeping(database: Database): Promise<void> {
    const now = Date.now();
    if (now - lastBacklogAt >= BACKLOG_REFRESH_MS) {
      lastBacklogAt = now;
      const backlog = await readOutboxBacklog(database);
      metrics.backlog = backlog;
      health.setInfo('outboxPending', backlog.pending);
      health.setInfo('outboxInFlight', backlog.inFlight);
      health.setInfo('oldestPendingAgeSeconds', backlog.oldestPendingAgeSeconds);
      health.setInfo('deadLetters', backlog.deadLetters);
      health.setInfo('sentTotal', metrics.sentTotal);
      health.setInfo('retriesTotal', metrics.retriesTotal);
    }
    if (now - lastRetentionAt >= RETENTION_EVERY_MS) {
      lastRetentionAt = now;
      let purged = 0;
      for (let round = 0; round < 20; round++) {
        const deleted = await purgeSentRows(database, config.PUSH_RETENTION_HOURS, config.PUSH_RETENTION_BATCH);
        purged += deleted;
        if (deleted < config.PUSH_RETENTION_BATCH) break;
      }
      if (purged > 0) logger.info({ purged, retentionHours: config.PUSH_RETENTION_HOURS }, 'sent events past the audit window deleted');
    }
  }

  return {
    metrics,
    async runCycle(signal): Promise<CycleOutcome> {
      if (!statisticsRefreshed) {
        // Once per process; tried again next cycle if the database was not there.
        await refreshOutboxStatistics(db).then(
          () => (statisticsRefreshed = true),
          (error: unknown) => logger.warn({ err: error }, 'could not analyse sync_outbox; claims may be slow until autovacuum does'),
        );
      }
      await housekeeping(db);
      // Each lane keeps taking full batches on its own for a while: lanes that waited for each other after
      // every batch would leave the database and the network idle half of the time under a backlog.
      const until = Date.now() + LANE_SPELL_MS;
      const laneBusy = async () => {
        let busy = await runBatch(signal);
        while (busy && !signal.aborted && Date.now() < until) busy = await runBatch(signal);
        return busy;
      };
      // Every lane ends before the cycle does, even when one fails: a lane still sending after its cycle
      // rejected could have its claim released by stop() while its request is in flight.
      const lanes = await Promise.allSettled(Array.from({ length: config.PUSH_CONCURRENCY }, laneBusy));
      const failed = lanes.find((lane): lane is PromiseRejectedResult => lane.status === 'rejected');
      if (failed) throw failed.reason;
      return { busy: lanes.some((lane) => lane.status === 'fulfilled' && lane.value) };
    },
    async stop() {
      logger.info({ sentTotal: metrics.sentTotal, retriesTotal: metrics.retriesTotal, deadLettersTotal: metrics.deadLettersTotal }, 'push totals');
      const released = await releaseLeases(db, worker).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not release leases; they expire on their own');
        return 0;
      });
      if (released > 0) logger.info({ released }, 'leases released');
      http.close();
    },
  };
}
