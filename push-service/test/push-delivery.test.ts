import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { eventIdsOf } from '../../packages/core/test/support/fault-proxy.js';
import { countRows, insertOutboxEvents, makeEvents } from './support/outbox-fixtures.js';
import { createPushRig, stopGracefully, type PushRig } from './support/push-rig.js';

/** Central order evidence: per stream, the payload's seq in the order the inbox received the events. */
async function streamsInArrivalOrder(rig: PushRig): Promise<Map<string, number[]>> {
  const { rows } = await rig.central.db.query<{ stream_key: string; payload: string }>(
    'SELECT stream_key, payload FROM sync_inbox ORDER BY arrival_seq',
  );
  const streams = new Map<string, number[]>();
  for (const row of rows) streams.set(row.stream_key, [...(streams.get(row.stream_key) ?? []), (JSON.parse(row.payload) as { seq: number }).seq]);
  return streams;
}

/**
 * Without injected faults, an attempt must never time out: on embedded PGlite, which runs one transaction at a
 * time for every process, a batch can take seconds, so these runs use production-like timeouts.
 */
const NO_FAULT_TIMEOUTS = { PUSH_RESPONSE_TIMEOUT_MS: '60000', PUSH_LEASE_MS: '120000' };

describeBackends('push delivery end to end', (backend) => {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('delivers 10,000 events in 50 streams exactly once, each stream in order', async () => {
    const events = makeEvents(10_000, 50);
    await insertOutboxEvents(rig.pdv.db, events);
    const push = rig.startPush({ PUSH_BATCH_SIZE: '500', ...NO_FAULT_TIMEOUTS });
    await rig.waitDrained(240_000);
    expect(await stopGracefully(push)).toBe(0);

    expect(await rig.inboxCount()).toBe(10_000);
    expect(await countRows(rig.central.db, 'sync_inbox', `pdv_id = 'loja01-pdv01'`)).toBe(10_000);
    const streams = await streamsInArrivalOrder(rig);
    expect(streams.size).toBe(50);
    for (const seqs of streams.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Without faults, every event went over the wire exactly once.
    const attempts = rig.proxy.requests.flatMap(eventIdsOf);
    expect(attempts).toHaveLength(10_000);
    expect(new Set(attempts).size).toBe(10_000);
    // A clean stop leaves no lease behind.
    expect(await countRows(rig.pdv.db, 'sync_outbox', 'lease_owner IS NOT NULL')).toBe(0);
  }, 300_000);

  it('two push-service instances on one outbox make exactly one POST attempt per event', async () => {
    // More streams than a batch holds, so that one instance's claim always leaves streams for the other.
    await insertOutboxEvents(rig.pdv.db, makeEvents(3_000, 300));
    const a = rig.startPush({ PUSH_BATCH_SIZE: '50', ...NO_FAULT_TIMEOUTS });
    const b = rig.startPush({ PUSH_BATCH_SIZE: '50', ...NO_FAULT_TIMEOUTS });
    await rig.waitDrained(180_000);
    await Promise.all([stopGracefully(a), stopGracefully(b)]);
    const attempts = rig.proxy.requests.flatMap(eventIdsOf);
    expect(attempts).toHaveLength(3_000);
    expect(new Set(attempts).size).toBe(3_000);
    expect(await rig.inboxCount()).toBe(3_000);
    // Both instances did work, so the test is about sharing, not about one idle instance.
    const sentBy = [a, b].map((daemon) => Number(/"sentTotal":(\d+)[^\n]*"msg":"push totals"/.exec(daemon.stdout())?.[1] ?? -1));
    expect(sentBy.every((n) => n > 0)).toBe(true);
    expect(sentBy[0]! + sentBy[1]!).toBe(3_000);
  }, 300_000);
});
