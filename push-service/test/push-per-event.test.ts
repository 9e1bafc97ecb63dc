import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { waitFor } from '../../packages/core/test/support/spawn-daemon.js';
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

  // A stream sent one event per request can take longer than its lease. The send must stop while the lease
  // still holds, or another worker would claim the same rows and send them again beside the first.
  it('stops a send that would outlast its lease, and no event is ever in flight twice at once', async () => {
    const events = makeEvents(40, 1);
    await insertOutboxEvents(rig.pdv.db, events);
    // 40 requests of at least 300 ms in a row: about 12 s for a batch whose lease is 8 s. The send budget is then
    // 4.75 s, which leaves 3.25 s to record the outcomes before another claim may take the stream (PGlite in a
    // loaded test run needs more than 1 s at times).
    rig.proxy.plan = () => ({ kind: 'delay', ms: 300 });
    const env = {
      PUSH_MODE: 'per-event',
      PUSH_EVENT_URL_TEMPLATE: `${rig.proxy.url}/v1/events/{eventId}`,
      PUSH_PER_EVENT_CONCURRENCY: '1',
      PUSH_BATCH_SIZE: '40',
      PUSH_LEASE_MS: '8000',
      PUSH_CONNECT_TIMEOUT_MS: '500',
      PUSH_RESPONSE_TIMEOUT_MS: '1000',
    };
    // Two instances: the second is there to claim the stream as soon as the first one's lease runs out.
    const first = rig.startPush(env);
    await waitFor(async () => rig.proxy.requests.length > 0, 60_000, 'the first request');
    const second = rig.startPush(env);
    await rig.waitDrained(120_000);
    expect(await stopGracefully(first)).toBe(0);
    expect(await stopGracefully(second)).toBe(0);
    expect(await rig.inboxCount()).toBe(40);

    // Per event, each request began only after the one before it had ended, and none began after an answer
    // had reached a worker: a worker that ran out of lease time stops instead of racing the next claim.
    const byKey = new Map<string, typeof rig.proxy.requests>();
    for (const request of rig.proxy.requests) {
      const key = String(request.headers['idempotency-key']);
      byKey.set(key, [...(byKey.get(key) ?? []), request]);
    }
    expect(byKey.size).toBe(40);
    for (const [key, requests] of byKey) {
      for (let i = 1; i < requests.length; i++) {
        const previous = requests[i - 1]!;
        expect(previous.endedAt, `request ${i - 1} of ${key} had not ended`).not.toBeNull();
        expect(requests[i]!.at, `event ${key} was in flight twice at once`).toBeGreaterThanOrEqual(previous.endedAt!);
        expect(previous.answeredAt, `event ${key} was sent again after its answer reached a worker`).toBeNull();
      }
    }
    const log = first.stdout() + second.stdout();
    expect(log).toContain('a batch ran out of lease time');
    expect(log).not.toContain('outcomes not recorded');
  }, 180_000);
});
