/**
 * pnpm bench:push [--quick] [--json] [--wan]
 *
 * Delivers N events end to end, from an outbox on PostgreSQL through push-service and central-api (real child
 * processes) into a central inbox on PostgreSQL, and compares in the same run:
 *   events_per_s            batched delivery (our path)
 *   single_events_per_s     the same events, one POST per event (the naive baseline)
 *   raw_insert_events_per_s the same events inserted straight into the inbox in batches, no HTTP (the ceiling)
 * Uses BENCH_PG_URL or TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 * Diagnostics: BENCH_LOG_LEVEL=debug with BENCH_PUSH_LOG=<file> appends push-service's log lines (one "batch done"
 * line per batch) to that file; BENCH_PUSH_CONCURRENCY overrides the lanes of the batched run (4);
 * CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>" profiles the child processes.
 * --wan runs instead the outage drain over a shaped link (bench-push-wan.ts): a day of sales queued while central
 * was unreachable, batched and one request per event, with the bytes on the wire; BENCH_CENTRAL_LOG=<file> appends
 * central-api's log lines there, BENCH_POLL_INTERVAL_MS sets push-service's POLL_INTERVAL_MS (default 5 s).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { payloadFingerprint } from '../../packages/core/src/contract/fingerprint.js';
import { applySchema } from '../../packages/core/src/db/schema-runner.js';
import { createPostgresDatabase } from '../../packages/core/src/db/postgres.js';
import type { Database } from '../../packages/core/src/db/types.js';
import { startCentralProcess } from '../../packages/core/test/support/central-process.js';
import { DAEMON_ENTRY, spawnDaemon, waitFor } from '../../packages/core/test/support/spawn-daemon.js';
import { insertOutboxEvents, makeEvents, countRows, type SeedEvent } from '../test/support/outbox-fixtures.js';
import { peakRssMb } from '../test/support/process-memory.js';
import { runPushWan } from './bench-push-wan.js';
import { createScratchDatabase } from './scratch-database.js';

const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const wan = process.argv.includes('--wan');
const EVENTS = quick ? 20_000 : 100_000;
const SINGLE_EVENTS = quick ? 3_000 : 10_000;
const STREAMS = 50;
const PAYLOAD_BYTES = 1_024;
const PDV_ID = 'bench-pdv';

const log = (line: string) => {
  if (!asJson) process.stderr.write(`${line}\n`);
};

/**
 * Each phase starts right after a checkpoint: one that began in the middle of a phase would add full-page images
 * to the WAL of every page first written after it, and slow that phase alone. (Needs a superuser or
 * pg_checkpoint; without it the phases run as they come.)
 */
async function checkpoint(db: Database): Promise<void> {
  await db.query('CHECKPOINT').catch(() => undefined);
}

async function timeDelivery(pdv: Database, env: Record<string, string>, expected: number): Promise<{ seconds: number; peakRss: number }> {
  await checkpoint(pdv);
  const push = spawnDaemon(DAEMON_ENTRY['push-service'], env);
  try {
    await waitFor(async () => push.stdout().includes('schema up to date') || push.child.exitCode !== null, 60_000, 'push-service to start');
    const started = performance.now();
    // EXISTS stops at the first pending row: a COUNT every 100 ms would take CPU from the system being measured.
    const drained = async () => (await pdv.query<{ pending: boolean }>('SELECT EXISTS (SELECT 1 FROM sync_outbox WHERE sent_at IS NULL) AS pending')).rows[0]!.pending === false;
    let draining = true;
    // A push-service that dies fails the run at once, instead of leaving it to wait for a drain that never comes.
    const died = push.exited.then((exit) => {
      if (draining) throw new Error(`push-service exited (code ${String(exit.code)}, signal ${String(exit.signal)}) before the outbox drained:\n${(push.stdout() + push.stderr()).slice(-2_000)}`);
    });
    try {
      await Promise.race([waitFor(drained, 1_800_000, 'the outbox to drain'), died]);
    } finally {
      draining = false;
    }
    const seconds = (performance.now() - started) / 1_000;
    const peakRss = await peakRssMb(push.child.pid!);
    if ((await countRows(pdv, 'sync_outbox', 'sent_at IS NOT NULL')) < expected) throw new Error('not every event was delivered');
    return { seconds, peakRss };
  } finally {
    push.child.kill('SIGTERM');
    await push.exited;
    if (process.env.BENCH_PUSH_LOG) appendFileSync(process.env.BENCH_PUSH_LOG, push.stdout());
  }
}

async function rawInsert(central: Database, events: readonly SeedEvent[]): Promise<number> {
  await checkpoint(central);
  const started = performance.now();
  for (let i = 0; i < events.length; i += 1_000) {
    const chunk = events.slice(i, i + 1_000);
    await central.query(
      `INSERT INTO sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload)
SELECT $1, * FROM unnest($2::uuid[], $3::varchar[], $4::varchar[], $5::char(64)[], $6::text[]) ON CONFLICT DO NOTHING`,
      [PDV_ID, chunk.map((e) => e.eventId), chunk.map((e) => e.eventType), chunk.map((e) => e.streamKey), chunk.map((e) => payloadFingerprint(e.payload)), chunk.map((e) => e.payload)],
    );
  }
  return (performance.now() - started) / 1_000;
}

async function main(): Promise<void> {
  const baseUrl = process.env.BENCH_PG_URL ?? process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (wan) {
    const report = await runPushWan(baseUrl, quick, log);
    if (asJson) process.stdout.write(`${JSON.stringify(report)}\n`);
    else for (const [name, value] of Object.entries(report)) process.stdout.write(`${name.padEnd(30)} ${value}\n`);
    return;
  }
  const centralDb = await createScratchDatabase(baseUrl, 'bench_central');
  const pdvDb = await createScratchDatabase(baseUrl, 'bench_pdv');
  const central = createPostgresDatabase({ kind: 'postgres', connectionString: centralDb.url, poolMax: 4, connectTimeoutMs: 10_000, requestTimeoutMs: 600_000 });
  const pdv = createPostgresDatabase({ kind: 'postgres', connectionString: pdvDb.url, poolMax: 4, connectTimeoutMs: 10_000, requestTimeoutMs: 600_000 });
  const token = randomBytes(24).toString('base64url');
  let api: Awaited<ReturnType<typeof startCentralProcess>> | undefined;
  try {
    await applySchema(central, { role: 'central' });
    await applySchema(pdv, { role: 'pdv' });
    await central.query(`INSERT INTO loja (loja_id, nome) VALUES (1, 'Bench')`);
    api = await startCentralProcess({ DB_URL: centralDb.url, PDV_RATE_LIMIT_PER_S: '0', PDV_TOKENS: `${PDV_ID}:1:${token}`, DB_POOL_MAX: '8' });
    const events = makeEvents(EVENTS, STREAMS, PAYLOAD_BYTES);
    const pushEnv = {
      PDV_ID,
      CENTRAL_API_URL: api.url,
      CENTRAL_API_TOKEN: token,
      DB_URL: pdvDb.url,
      HEALTH_HOST: '127.0.0.1',
      HEALTH_PORT: '0',
      START_JITTER_MS: '0',
      POLL_INTERVAL_MS: '50',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    };

    log(`batched: ${EVENTS} events of ${PAYLOAD_BYTES} bytes in ${STREAMS} streams`);
    await insertOutboxEvents(pdv, events);
    const batched = await timeDelivery(pdv, { ...pushEnv, PUSH_BATCH_SIZE: '1000', PUSH_CONCURRENCY: process.env.BENCH_PUSH_CONCURRENCY ?? '4' }, EVENTS);
    if ((await countRows(central, 'sync_inbox')) !== EVENTS) throw new Error('the inbox does not hold every event');

    log(`single: the first ${SINGLE_EVENTS} of the same events, one POST each`);
    const single = events.slice(0, SINGLE_EVENTS);
    await central.query('TRUNCATE sync_inbox');
    await pdv.query('TRUNCATE sync_outbox');
    await insertOutboxEvents(pdv, single);
    const perEvent = await timeDelivery(
      pdv,
      { ...pushEnv, PUSH_MODE: 'per-event', PUSH_EVENT_URL_TEMPLATE: `${api.url}/v1/events/{eventId}`, PUSH_PER_EVENT_CONCURRENCY: '8', PUSH_BATCH_SIZE: '200' },
      SINGLE_EVENTS,
    );

    log('raw: the same events inserted straight into the inbox, 1,000 per statement');
    await central.query('TRUNCATE sync_inbox');
    const rawSeconds = await rawInsert(central, events);

    const eventsPerS = EVENTS / batched.seconds;
    const singlePerS = SINGLE_EVENTS / perEvent.seconds;
    const rawPerS = EVENTS / rawSeconds;
    const report = {
      events: EVENTS,
      payload_bytes: PAYLOAD_BYTES,
      streams: STREAMS,
      events_per_s: Math.round(eventsPerS),
      single_events_per_s: Math.round(singlePerS),
      raw_insert_events_per_s: Math.round(rawPerS),
      ratio_vs_single: Number((eventsPerS / singlePerS).toFixed(2)),
      ratio_vs_raw: Number((eventsPerS / rawPerS).toFixed(2)),
      peak_rss_mb: Math.round(batched.peakRss),
      single_peak_rss_mb: Math.round(perEvent.peakRss),
    };
    if (asJson) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(
        [
          `events_per_s            ${report.events_per_s}   (batched, ${EVENTS} events)`,
          `single_events_per_s     ${report.single_events_per_s}   (one POST per event, ${SINGLE_EVENTS} events)`,
          `raw_insert_events_per_s ${report.raw_insert_events_per_s}   (inbox inserts, no HTTP)`,
          `ratio_vs_single         ${report.ratio_vs_single}`,
          `ratio_vs_raw            ${report.ratio_vs_raw}`,
          `peak_rss_mb             ${report.peak_rss_mb}   (push-service, batched run)`,
        ].join('\n') + '\n',
      );
    }
  } finally {
    await api?.stop();
    await central.close();
    await pdv.close();
    await centralDb.drop();
    await pdvDb.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:push failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
