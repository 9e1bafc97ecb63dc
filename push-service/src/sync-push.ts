import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { DaemonContext, DaemonEnv, DaemonWorker, CycleOutcome, NotificationListener } from '@goldpdv/core';
import { CentralAvailability, ConfigError, createHttpClient, packageVersion, readCaFile, startStatusReporter, withRetry } from '@goldpdv/core';
import { BUNDLED_EVENTS_FILE, type pushEnv } from './config.js';
import type { z } from 'zod';
import { CentralPushClient } from './api/central-push-client.js';
import { DeliveryPolicy } from './delivery/delivery-policy.js';
import { EventSender, type SendReport } from './delivery/event-sender.js';
import { sendSignal } from './delivery/send-signal.js';
import { triageRows } from './delivery/triage.js';
import { createOutboxStore } from './outbox/outbox-store.js';
import { createOutboxWakeup } from './outbox/outbox-wakeup.js';
import { PushMetrics } from './push-metrics.js';
import { loadEventsDeclaration } from './events/declaration/load-declaration.js';
import { EventsHousekeeping } from './events/events-housekeeping.js';

type PushConfig = DaemonEnv & z.infer<z.ZodObject<typeof pushEnv>>;

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
    ca: config.CENTRAL_API_CA_FILE ? readCaFile(config.CENTRAL_API_CA_FILE) : undefined,
    maxSockets: Math.max(config.PUSH_CONCURRENCY, config.PUSH_PER_EVENT_CONCURRENCY),
  });
  const sender = new EventSender(
    new CentralPushClient(http, { baseUrl: config.CENTRAL_API_URL, token: config.CENTRAL_API_TOKEN, eventUrlTemplate: config.PUSH_EVENT_URL_TEMPLATE }),
    new DeliveryPolicy({ baseMs: config.PUSH_BACKOFF_BASE_MS, capMs: config.PUSH_BACKOFF_CAP_MS }),
    { mode: config.PUSH_MODE, perEventConcurrency: config.PUSH_PER_EVENT_CONCURRENCY },
  );
  const outbox = createOutboxStore(db);
  // A declaration that cannot be read or is invalid stops the start (exit 2) with one line per problem.
  const events = new EventsHousekeeping(db, loadEventsDeclaration(config.PUSH_EVENTS_FILE || BUNDLED_EVENTS_FILE), config, { http, logger, health });
  const central = new CentralAvailability(health, logger, {
    meanwhile: 'events stay in the outbox and are retried with backoff',
    unreachableAlertMs: config.CENTRAL_UNREACHABLE_ALERT_MS,
    authAlertMs: config.CENTRAL_AUTH_ALERT_MS,
    metrics: register,
  });
  // The fleet view's heartbeat: beside the loop, never in its way.
  const reporter = startStatusReporter({
    service: 'push-service',
    version: packageVersion(new URL('../package.json', import.meta.url)),
    db,
    health,
    http,
    centralUrl: config.CENTRAL_API_URL,
    token: config.CENTRAL_API_TOKEN,
    intervalMs: config.STATUS_REPORT_INTERVAL_MS,
    logger,
    // Idle push-service sends nothing else: its reports are what tell it a revoked token or a VPS gone.
    central,
  });
  const metrics = new PushMetrics(register);
  const wakeup = createWakeup(config, db, logger);
  // Longest idle pause: the configured bound, but never long enough for liveness to take the pause for a stall.
  const idlePauseCapMs = Math.min(config.PUSH_IDLE_POLL_MAX_MS, Math.floor(config.LOOP_STALL_TIMEOUT_MS / 2));
  let quietCycles = 0;
  /** Some row was claimed in this cycle: it may come back for a retry, so the next pause is not an idle one. */
  let claimedThisCycle = false;
  let lastBacklogAt = 0;
  let lastRetentionAt = 0;
  let statisticsRefreshed = false;

  async function runBatch(signal: AbortSignal): Promise<boolean> {
    const owner = `${worker}/${(++claims).toString(36)}`;
    // Taken before the claim: the lease starts on the database clock during the claim, never before this.
    const claimedAt = Date.now();
    const rows = await withRetry(() => outbox.claimBatch({ owner, leaseMs: config.PUSH_LEASE_MS, limit: config.PUSH_BATCH_SIZE, lanes: config.PUSH_CONCURRENCY }));
    if (rows.length === 0) return false;
    claimedThisCycle = true;
    const started = Date.now();
    const { ready, setAside } = triageRows(rows, config.PUSH_POISON_CLAIM_LIMIT);
    metrics.inFlight += ready.length;
    let report: SendReport;
    // Per-event mode and the halving of a refused batch make several requests in a row: all of them must end
    // while the lease holds, or another worker could claim and send the same rows at the same time.
    const send = sendSignal(signal, config.PUSH_STOP_GRACE_MS, sendBudgetMs - (Date.now() - claimedAt));
    try {
      report = ready.length > 0 ? await sender.send(ready, send.signal) : { outcomes: [], centralUnavailable: null, statuses: [] };
    } finally {
      send.dispose();
      metrics.inFlight -= ready.length;
    }
    if (send.leaseRanOut()) logger.warn({ owner, budgetMs: sendBudgetMs, claimed: rows.length }, 'a batch ran out of lease time; its unsent events are retried later');
    // If this fails for good the leases expire and the rows are sent again; the central inbox dedupes them.
    const decided = [...setAside, ...report.outcomes];
    const dropped = new Set(await withRetry(() => outbox.recordOutcomes(decided)));
    if (dropped.size > 0) {
      logger.warn({ owner, dropped: dropped.size }, 'outcomes not recorded: this claim no longer holds these events (its lease ran out and another claim took them, or a retried write had recorded them already)');
    }
    const outcomes = decided.filter((outcome) => !dropped.has(outcome));
    metrics.record(outcomes, report.statuses, Date.now() - started);
    // A send cut short by its own lease says nothing about the central API.
    if (!send.leaseRanOut()) {
      if (report.centralUnavailable === null) central.reachable();
      // The last answer's status tells a refused token (401/403) from an unreachable VPS (no status).
      else central.unavailable(report.centralUnavailable, report.statuses.at(-1) ?? null);
    }
    for (const dead of outcomes) {
      if (dead.kind === 'dead') logger.warn({ eventId: dead.row.eventId, eventType: dead.row.eventType, streamKey: dead.row.streamKey, reason: dead.reason }, 'event moved to dead letters');
    }
    const sent = outcomes.filter((o) => o.kind === 'sent').length;
    logger.debug({ claimed: rows.length, sent, retried: outcomes.filter((o) => o.kind === 'retry').length, ms: Date.now() - started }, 'batch done');
    return rows.length >= config.PUSH_BATCH_SIZE;
  }

  async function housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - lastBacklogAt >= BACKLOG_REFRESH_MS) {
      lastBacklogAt = now;
      const backlog = await outbox.readBacklog();
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
        const deleted = await outbox.purgeSentRows(config.PUSH_RETENTION_HOURS, config.PUSH_RETENTION_BATCH);
        purged += deleted;
        if (deleted < config.PUSH_RETENTION_BATCH) break;
      }
      if (purged > 0) logger.info({ purged, retentionHours: config.PUSH_RETENTION_HOURS }, 'sent events past the audit window deleted');
    }
  }

  /**
   * After a cycle that found nothing to do, on a PostgreSQL server: waits here for the outbox notification instead
   * of the loop's fixed pause, longer and longer while the outbox stays empty. Returns false when there is no
   * notification connection (the loop then pauses POLL_INTERVAL_MS as usual), true when the wait paced the cycle.
   */
  async function pauseUntilWoken(signal: AbortSignal): Promise<boolean> {
    if (wakeup === null || !(await wakeup.listening())) {
      quietCycles = 0;
      return false;
    }
    const backlog = metrics.backlog;
    // Rows waiting for a retry are due at their own time, which no notification announces: the usual pause then.
    // The backlog is read at most every BACKLOG_REFRESH_MS: a row claimed since may be waiting for its retry.
    const empty = !claimedThisCycle && backlog !== null && backlog.pending === 0 && backlog.inFlight === 0;
    quietCycles = empty ? quietCycles + 1 : 0;
    const pauseMs = empty ? Math.min(idlePauseCapMs, config.POLL_INTERVAL_MS * 2 ** Math.min(quietCycles - 1, 20)) : config.POLL_INTERVAL_MS;
    logger.debug({ pauseMs, outboxEmpty: empty }, 'nothing to send; pausing until an outbox notification or the next poll');
    if (await wakeup.wait(pauseMs, signal)) quietCycles = 0;
    return true;
  }

  return {
    metrics,
    async runCycle(signal): Promise<CycleOutcome> {
      // Before the outbox is read: a sale that commits from here on wakes the pause at the end of this cycle.
      wakeup?.clear();
      claimedThisCycle = false;
      if (!statisticsRefreshed) {
        // Once per process; tried again next cycle if the database was not there.
        await outbox.refreshStatistics().then(
          () => (statisticsRefreshed = true),
          (error: unknown) => logger.warn({ err: error }, 'could not analyse sync_outbox; claims may be slow until autovacuum does'),
        );
      }
      await housekeeping();
      // Captures become outbox events first (and the sweep and the reconciliation run when due), in push-service's
      // own transactions; a failure there is logged and leaves the sending of what the outbox holds alone.
      const capturesPending = await events.runCycle(signal);
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
      const busy = capturesPending || lanes.some((lane) => lane.status === 'fulfilled' && lane.value);
      if (busy || signal.aborted) {
        quietCycles = 0;
        return { busy };
      }
      // The pause, when there was one, is over: the next cycle starts at once.
      return { busy: await pauseUntilWoken(signal) };
    },
    async stop() {
      logger.info({ sentTotal: metrics.sentTotal, retriesTotal: metrics.retriesTotal, deadLettersTotal: metrics.deadLettersTotal }, 'push totals');
      const released = await outbox.releaseLeases(worker).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not release leases; they expire on their own');
        return 0;
      });
      if (released > 0) logger.info({ released }, 'leases released');
      await reporter.stop();
      await wakeup?.stop();
      http.close();
    },
  };
}

/**
 * The outbox notification listener, on a PostgreSQL server only: SQL Server has no such notification, and an
 * embedded PGlite runs in this process. Off when PUSH_IDLE_POLL_MAX_MS leaves no room above POLL_INTERVAL_MS.
 */
function createWakeup(config: PushConfig, db: DaemonContext<PushConfig>['db'], logger: DaemonContext<PushConfig>['logger']): NotificationListener | null {
  // A worker built around a database handed to it (tests, benches) may have no DB_* settings: it just polls.
  return config.PUSH_IDLE_POLL_MAX_MS <= config.POLL_INTERVAL_MS ? null : createOutboxWakeup(config, db, logger);
}
