import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { triageRows } from '../src/delivery/triage.js';
import { createOutboxStore } from '../src/outbox/outbox-store.js';
import { countRows, insertOutboxEvents, makeEvents } from './support/outbox-fixtures.js';
import { createPushRig, stopGracefully, type PushRig } from './support/push-rig.js';

describeBackends('poison rows', (backend) => {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('a row that a worker died on again and again is set aside with its reason, and the rest is delivered', async () => {
    const events = makeEvents(30, 1);
    await insertOutboxEvents(rig.pdv.db, events);
    // Five workers in a row claim the head and die before any result (their leases simply run out).
    for (let death = 0; death < 5; death++) {
      const claimed = await createOutboxStore(rig.pdv.db).claimBatch({ owner: `doomed-${death}`, leaseMs: 60_000, limit: 30 });
      expect(claimed[0]!.eventId).toBe(events[0]!.eventId);
      await rig.pdv.db.query('UPDATE sync_outbox SET lease_until = NULL WHERE sent_at IS NULL');
    }
    const push = rig.startPush({ PUSH_POISON_CLAIM_LIMIT: '6' });
    await rig.waitDrained(120_000, 1);
    expect(await stopGracefully(push)).toBe(0);

    const { rows } = await rig.pdv.db.query<{ event_id: string; reason: string }>('SELECT event_id, reason FROM sync_dead_letter');
    expect(rows).toHaveLength(1);
    expect(String(rows[0]!.event_id)).toBe(events[0]!.eventId);
    expect(rows[0]!.reason).toMatch(/^poison: claimed 6 times without reaching a result/);
    expect(await rig.inboxCount()).toBe(29);
    expect(await countRows(rig.pdv.db, 'sync_outbox', 'sent_at IS NULL')).toBe(0);
  }, 180_000);
});

it('triage sets aside poison rows and invalid payloads, and passes the rest', () => {
  const base = { eventType: 'venda.finalizada', streamKey: 'caixa:1', createdAt: '2026-11-30 10:00:00.123+00', attempts: 0, leaseOwner: 'w/1' };
  const rows = [
    { ...base, outboxId: '1', eventId: '7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a01', payload: '{"ok":true}', claimCount: 6 },
    { ...base, outboxId: '2', eventId: '7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a02', payload: '[1,2]', claimCount: 1 },
    { ...base, outboxId: '3', eventId: 'not-a-uuid', payload: '{}', claimCount: 1 },
    { ...base, outboxId: '4', eventId: '7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a04', payload: '{"ok":true}', claimCount: 5 },
  ];
  const { ready, setAside } = triageRows(rows, 6);
  expect(ready.map((r) => r.outboxId)).toEqual(['4']);
  expect(setAside.map((o) => (o.kind === 'dead' ? [o.row.outboxId, o.reason.split(':')[0]] : null))).toEqual([
    ['1', 'poison'],
    ['2', 'invalid payload'],
    ['3', 'invalid event'],
  ]);
});
