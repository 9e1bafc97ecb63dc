import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { insertOutboxEvents, makeEvents } from './support/outbox-fixtures.js';
import { createPushRig, stopGracefully, type PushRig } from './support/push-rig.js';

/** One POST per event to a URL template, as for an existing VPS API that has no batch endpoint. */
describeBackends('push in per-event mode', (backend) => {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('sends the Idempotency-Key, and a failing event holds back only its own stream', async () => {
    const events = makeEvents(120, 4);
    const blocked = events[4]!; // second event of stream caixa:0000
    await insertOutboxEvents(rig.pdv.db, events);
    let refusals = 0;
    rig.proxy.plan = ({ url }) => (url.includes(blocked.eventId) && refusals++ < 3 ? { kind: 'status', status: 503, retryAfter: '1' } : { kind: 'pass' });
    const push = rig.startPush({ PUSH_MODE: 'per-event', PUSH_EVENT_URL_TEMPLATE: `${rig.proxy.url}/v1/events/{eventId}`, PUSH_PER_EVENT_CONCURRENCY: '4' });
    await rig.waitDrained(120_000);
    expect(await stopGracefully(push)).toBe(0);
    expect(await rig.inboxCount()).toBe(120);

    const requests = rig.proxy.requests;
    for (const request of requests) expect(request.url).toBe(`/v1/events/${request.headers['idempotency-key']}`);
    expect(new Set(requests.filter((r) => r.status === 201).map((r) => r.headers['idempotency-key'])).size).toBe(120);
    // FIFO: nothing after the blocked event in its stream went out before the blocked event was accepted.
    const accepted = requests.findIndex((r) => r.headers['idempotency-key'] === blocked.eventId && r.status === 201);
    const laterInStream = new Set(events.filter((e, i) => e.streamKey === blocked.streamKey && i > 4).map((e) => e.eventId));
    expect(requests.slice(0, accepted).some((r) => laterInStream.has(String(r.headers['idempotency-key'])))).toBe(false);
    // The other streams did not wait: they were delivered while the blocked event was being refused.
    const firstRefusal = requests.findIndex((r) => r.status === 503);
    const othersMeanwhile = requests.slice(firstRefusal, accepted).filter((r) => r.status === 201 && !laterInStream.has(String(r.headers['idempotency-key'])));
    expect(othersMeanwhile.length).toBeGreaterThan(10);
    expect(refusals).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
