import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { eventIdsOf, type FaultAction } from '../../packages/core/test/support/fault-proxy.js';
import { countRows, insertOutboxEvents, makeEvents } from './support/outbox-fixtures.js';
import { createPushRig, stopGracefully, type PushRig } from './support/push-rig.js';
import { runCli } from './support/run-cli.js';

/** A fault for the first requests, in a fixed rotation, then a clean pass. */
const ROTATION: FaultAction[] = [
  { kind: 'status', status: 503, retryAfter: '2' },
  { kind: 'status', status: 429, retryAfter: '1' },
  { kind: 'reset' },
  { kind: 'stall' },
  { kind: 'truncate' },
  { kind: 'status', status: 502 },
];

describeBackends('push under network faults', (backend) => {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('delivers everything exactly once through 503, 429, resets, stalls and truncated answers, honouring Retry-After', async () => {
    await insertOutboxEvents(rig.pdv.db, makeEvents(2_000, 20));
    rig.proxy.plan = ({ index }) => (index < 30 && index % 2 === 0 ? ROTATION[(index / 2) % ROTATION.length]! : { kind: 'pass' });
    const push = rig.startPush({ PUSH_BATCH_SIZE: '100', PUSH_RESPONSE_TIMEOUT_MS: '1500', PUSH_LEASE_MS: '30000' });
    await rig.waitDrained(180_000);
    expect(await stopGracefully(push)).toBe(0);

    expect(await rig.inboxCount()).toBe(2_000);
    expect(await countRows(rig.pdv.db, 'sync_dead_letter')).toBe(0);
    const kinds = new Set(rig.proxy.requests.map((r) => (r.action === 'status' ? `status:${r.status}` : r.action)));
    for (const kind of ['status:503', 'status:429', 'reset', 'stall', 'truncate', 'status:502']) expect(kinds).toContain(kind);

    // Retry-After: the next attempt of any event refused with Retry-After: N comes no sooner than N seconds later.
    const gaps: number[] = [];
    rig.proxy.requests.forEach((refused, i) => {
      const header = refused.action === 'status' ? ROTATION.find((f) => f.kind === 'status' && f.status === refused.status) : undefined;
      if (!header || header.kind !== 'status' || header.retryAfter === undefined) return;
      const ids = new Set(eventIdsOf(refused));
      const next = rig.proxy.requests.slice(i + 1).find((r) => eventIdsOf(r).some((id) => ids.has(id)));
      expect(next, 'the refused events were attempted again').toBeDefined();
      const gap = next!.at - refused.at;
      gaps.push(gap);
      expect(gap).toBeGreaterThanOrEqual(Number(header.retryAfter) * 1_000 - 50);
    });
    expect(gaps.length).toBeGreaterThanOrEqual(4);
  }, 240_000);

  it('sets aside a 422 conflict, a 400 and an invalid payload with their reasons, keeps the rest flowing, and delivers them after a fix and a redrive', async () => {
    const events = makeEvents(300, 5);
    const conflicting = events[10]!;
    const refused = events[20]!;
    const invalid = events[30]!;
    invalid.payload = '{"venda_id": "broken", total: }';
    // The central inbox already holds the conflicting event's id with another payload.
    await rig.central.db.query(
      `INSERT INTO sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload) VALUES ('loja01-pdv01', $1, 'venda.finalizada', $2, $3, '{}')`,
      [conflicting.eventId, conflicting.streamKey, 'f'.repeat(64)],
    );
    let refusing = true;
    rig.proxy.plan = ({ body }) =>
      refusing && body.includes(refused.eventId) ? { kind: 'status', status: 400, body: JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'rejected by the test' }) } : { kind: 'pass' };
    await insertOutboxEvents(rig.pdv.db, events);
    const push = rig.startPush({ PUSH_BATCH_SIZE: '50' });
    await rig.waitDrained(120_000, 3);
    expect(await rig.inboxCount()).toBe(300 - 3 + 1);

    const { rows } = await rig.pdv.db.query<{ event_id: string; reason: string; last_status: number | null }>('SELECT event_id, reason, last_status FROM sync_dead_letter');
    const reasons = new Map(rows.map((r) => [String(r.event_id), r]));
    expect(reasons.get(conflicting.eventId)?.last_status).toBe(422);
    expect(reasons.get(refused.eventId)?.last_status).toBe(400);
    expect(reasons.get(refused.eventId)?.reason).toContain('rejected by the test');
    expect(reasons.get(invalid.eventId)?.reason).toMatch(/^invalid payload: must be JSON text/);

    // The fixes: the stale central row is removed, the payload is repaired, the central side accepts again.
    await rig.central.db.query(`DELETE FROM sync_inbox WHERE event_id = $1`, [conflicting.eventId]);
    await rig.pdv.db.query(`UPDATE sync_dead_letter SET payload = $1 WHERE event_id = $2`, ['{"venda_id": "repaired", "seq": 6}', invalid.eventId]);
    refusing = false;
    // The operator's view before the redrive: the list with reasons, one letter in full, the backlog line.
    const listed = await runCli(['dead-letters', 'list', '--json'], rig.pdv.url!);
    expect(listed.code).toBe(0);
    const letters = JSON.parse(listed.stdout) as { eventId: string; reason: string }[];
    expect(letters.map((l) => l.eventId).sort()).toEqual([conflicting.eventId, refused.eventId, invalid.eventId].sort());
    const shown = await runCli(['dead-letters', 'show', invalid.eventId], rig.pdv.url!);
    expect(JSON.parse(shown.stdout)).toMatchObject({ eventId: invalid.eventId, payload: '{"venda_id": "repaired", "seq": 6}' });
    expect((await runCli(['dead-letters', 'show', '00000000-0000-4000-8000-000000000000'], rig.pdv.url!)).code).toBe(1);
    expect((await runCli(['backlog'], rig.pdv.url!)).stdout).toMatch(/^pending 0, in flight 0, oldest pending - s, dead letters 3\n$/);
    const requeue = await runCli(['dead-letters', 'requeue', '--all'], rig.pdv.url!);
    expect(requeue).toEqual({ code: 0, stdout: expect.stringMatching(/^requeued 3 event\(s\)/), stderr: '' });
    await rig.waitDrained(60_000, 0);
    expect(await rig.inboxCount()).toBe(300);
    expect(await stopGracefully(push)).toBe(0);
  }, 240_000);
});
