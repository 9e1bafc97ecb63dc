import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { waitFor, type SpawnedDaemon } from '../../packages/core/test/support/spawn-daemon.js';
import { seedReferenceData, seedStores } from '../../packages/demo/src/seed-catalog.js';
import { Till } from '../../packages/demo/src/till.js';
import { countRows, insertOutboxEvents, makeEvents } from './support/outbox-fixtures.js';
import { createPushRig, PDV_ID, type PushRig } from './support/push-rig.js';

interface PauseLine {
  time: string;
  pauseMs: number;
  outboxEmpty: boolean;
}

const PAUSE_MESSAGE = 'nothing to send; pausing until an outbox notification or the next poll';

function pauses(daemon: SpawnedDaemon): PauseLine[] {
  return daemon
    .stdout()
    .split('\n')
    .filter((line) => line.includes(PAUSE_MESSAGE))
    .map((line) => JSON.parse(line) as PauseLine);
}

/** Waits for a pause of at least `ms` to begin; returns the time it began and how long it is. */
async function longPauseBegun(daemon: SpawnedDaemon, ms: number): Promise<{ at: number; pauseMs: number }> {
  const line = await waitFor(async () => pauses(daemon).find((pause) => pause.pauseMs >= ms && pause.outboxEmpty), 60_000, `an idle pause of ${ms} ms`);
  return { at: Date.parse(line.time), pauseMs: line.pauseMs };
}

describeBackends('push-service outbox wake-up', (backend) => {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('backs off the poll of an empty outbox, and a sale committed during a long pause is sent at once', async () => {
    // A catalog on the PDV so that the till can sell; the sale goes through the sale tables and their capture triggers.
    await seedStores(rig.pdv.db);
    await seedReferenceData(rig.pdv.db, 5);
    const till = new Till(rig.pdv.db, 1, PDV_ID);
    await till.open();
    const push = rig.startPush({ POLL_INTERVAL_MS: '100', LOG_LEVEL: 'debug' });
    await rig.waitDrained(30_000);
    const opened = await rig.inboxCount();
    expect(opened).toBeGreaterThan(0);

    // The pauses double from POLL_INTERVAL_MS: 100, 200, ... 6,400 ms is the eighth.
    const pause = await longPauseBegun(push, 6_400);
    const sold = Date.now();
    expect(await till.ringUpSale()).toBe(true);
    await waitFor(async () => (await rig.inboxCount()) > opened, 10_000, 'the sale at central');
    const deliveredAt = Date.now();
    // Delivered long before the pause would have ended on its own.
    expect(deliveredAt - sold).toBeLessThan(2_000);
    expect(deliveredAt).toBeLessThan(pause.at + pause.pauseMs - 1_000);

    // POS code that writes the outbox itself wakes it the same way.
    const second = await longPauseBegun(push, 3_200);
    const afterSale = await rig.inboxCount();
    const written = Date.now();
    await insertOutboxEvents(rig.pdv.db, makeEvents(3, 1));
    await waitFor(async () => (await rig.inboxCount()) === afterSale + 3, 10_000, 'the outbox rows at central');
    expect(Date.now() - written).toBeLessThan(2_000);
    expect(Date.now()).toBeLessThan(Math.max(second.at, written) + second.pauseMs);
    // Central stores the events before push-service marks them sent, on its answer: that comes a moment later.
    await waitFor(async () => (await countRows(rig.pdv.db, 'sync_outbox', 'sent_at IS NULL')) === 0, 10_000, 'the rows marked sent');
  }, 120_000);

  it('without the wake-up triggers a row waits for the backed-off poll, never longer than PUSH_IDLE_POLL_MAX_MS', async () => {
    // The triggers gone (a DBA turned the wake-up off): the pauses still grow, and a row is found by the next poll.
    const push = rig.startPush({ POLL_INTERVAL_MS: '100', PUSH_IDLE_POLL_MAX_MS: '1500', LOG_LEVEL: 'debug' });
    await waitFor(async () => pauses(push).length > 0, 30_000, 'the first pause');
    await rig.pdv.db.query('DROP TRIGGER notify_outbox_wakeup ON sync_outbox');
    await longPauseBegun(push, 1_500);
    await insertOutboxEvents(rig.pdv.db, makeEvents(2, 1));
    const written = Date.now();
    await waitFor(async () => (await rig.inboxCount()) === 2, 10_000, 'the outbox rows at central');
    // Found by a poll: within the longest pause (1.5 s) and the send.
    expect(Date.now() - written).toBeLessThan(3_500);
  }, 120_000);

  it('a send refused during a long pause is retried on its own schedule, not after the idle pause', async () => {
    const push = rig.startPush({ POLL_INTERVAL_MS: '100', PUSH_BACKOFF_BASE_MS: '500', PUSH_BACKOFF_CAP_MS: '1000', LOG_LEVEL: 'debug' });
    await longPauseBegun(push, 6_400);
    // The first POST of the events is refused; the retry comes after at most PUSH_BACKOFF_CAP_MS.
    let refused = 0;
    rig.proxy.plan = ({ url }) => (url.startsWith('/v1/events') && refused++ === 0 ? { kind: 'status', status: 503 } : { kind: 'pass' });
    await insertOutboxEvents(rig.pdv.db, makeEvents(2, 1));
    const written = Date.now();
    await waitFor(async () => (await rig.inboxCount()) === 2, 20_000, 'the refused rows at central');
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(Date.now() - written).toBeLessThan(4_000);
  }, 120_000);

  it('a LISTEN connection killed by the server is opened again, and wakes the outbox as before', async () => {
    const push = rig.startPush({ POLL_INTERVAL_MS: '100', LOG_LEVEL: 'debug' });
    await longPauseBegun(push, 1_600);
    const { rows } = await rig.pdv.db.query<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'push-service-wakeup'`,
    );
    expect(rows.map((row) => row.killed)).toEqual([true]);
    await waitFor(async () => push.stdout().includes('the outbox notification connection closed'), 10_000, 'the lost connection to be noticed');
    // Listening again once the pauses have grown anew: only a live LISTEN connection lets them grow.
    const seen = pauses(push).length;
    await waitFor(async () => pauses(push).slice(seen).find((pause) => pause.pauseMs >= 3_200), 30_000, 'a long pause after the reconnection');
    await insertOutboxEvents(rig.pdv.db, makeEvents(2, 1));
    const written = Date.now();
    await waitFor(async () => (await rig.inboxCount()) === 2, 10_000, 'the outbox rows at central');
    expect(Date.now() - written).toBeLessThan(2_000);
    expect(push.child.exitCode).toBeNull();
  }, 120_000);
}, ['postgres']);

describeBackends('push-service outbox wake-up where notifications do not cross connections', (backend) => {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('PGlite served over a socket: found out at start, and the outbox is read every POLL_INTERVAL_MS', async () => {
    const push = rig.startPush({ POLL_INTERVAL_MS: '300', LOG_LEVEL: 'debug' });
    await waitFor(async () => push.stdout().includes('outbox notifications do not reach this process from other connections'), 30_000, 'the probe to fail');
    // Long after the pauses would have grown, a row still goes up within one poll interval and the send.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await insertOutboxEvents(rig.pdv.db, makeEvents(2, 1));
    const written = Date.now();
    await waitFor(async () => (await rig.inboxCount()) === 2, 10_000, 'the outbox rows at central');
    expect(Date.now() - written).toBeLessThan(2_000);
    expect(pauses(push)).toEqual([]);
  }, 120_000);
}, ['pglite']);
