import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { scrape } from '../../packages/core/test/support/prometheus-text.js';
import { waitFor } from '../../packages/core/test/support/spawn-daemon.js';
import { insertOutboxEvents, makeEvents } from './support/outbox-fixtures.js';
import { createPushRig, stopGracefully, type PushRig } from './support/push-rig.js';

describeBackends('push and central-api Prometheus metrics', (backend) => {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('count the events delivered, on the push-service health port and on the central API', async () => {
    await insertOutboxEvents(rig.pdv.db, makeEvents(7, 3));
    const push = rig.startPush({ PUSH_BATCH_SIZE: '3', PUSH_RESPONSE_TIMEOUT_MS: '60000', PUSH_LEASE_MS: '120000' });
    const port = await waitFor(async () => /"healthPort":(\d+)/.exec(push.stdout())?.[1], 30_000, 'the health port in the logs');
    await rig.waitDrained(60_000);

    // The counter moves right after the outcomes are recorded; the backlog gauges on the next 5 s refresh.
    const pushMetrics = await waitFor(async () => {
      const scraped = await scrape(`http://127.0.0.1:${port}/metrics`);
      return scraped.value('goldpdv_events_sent_total') === 7 && scraped.value('goldpdv_outbox_pending') === 0 ? scraped : null;
    }, 20_000, 'push metrics to show 7 events sent and an empty outbox');
    expect(pushMetrics.types.get('goldpdv_events_sent_total')).toBe('counter');
    expect(pushMetrics.value('goldpdv_event_retries_total')).toBe(0);
    expect(pushMetrics.value('goldpdv_events_dead_lettered_total')).toBe(0);
    expect(pushMetrics.value('goldpdv_dead_letters')).toBe(0);
    expect(pushMetrics.value('goldpdv_outbox_in_flight')).toBe(0);
    // 7 events in batches of at most 3: at least 3 batches, each one 200 answer of POST /v1/events.
    const batches = pushMetrics.value('goldpdv_push_batch_duration_seconds_count')!;
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(pushMetrics.value('goldpdv_http_responses_total', { status: '200' })).toBe(batches);
    expect(pushMetrics.value('goldpdv_cycle_duration_seconds_count', { service: 'push-service' })).toBeGreaterThan(0);
    expect(await stopGracefully(push)).toBe(0);

    // Metrics are on central's admin port, apart from the public API.
    expect((await fetch(`${rig.api.url}/metrics`)).status).toBe(404);
    const central = await scrape(`${rig.api.adminUrl}/metrics`);
    expect(central.value('goldpdv_events_ingested_total', { status: 'applied' })).toBe(7);
    expect(central.value('goldpdv_http_requests_total', { route: '/v1/events', status: '200' })).toBe(batches);
    expect(central.value('goldpdv_http_request_duration_seconds_count', { route: '/v1/events' })).toBe(batches);
    // The scrape itself is counted once it is answered, so a second scrape sees the first.
    const again = await scrape(`${rig.api.adminUrl}/metrics`);
    expect(again.value('goldpdv_http_requests_total', { route: '/metrics', status: '200' })).toBe(1);
    expect((await fetch(`${rig.api.url}/no/such/path`)).status).toBe(404);
    const third = await scrape(`${rig.api.adminUrl}/metrics`);
    // The public /metrics above and /no/such/path: both unmatched there.
    expect(third.value('goldpdv_http_requests_total', { route: 'unmatched', status: '404' })).toBe(2);
    expect(third.value('process_resident_memory_bytes')).toBeGreaterThan(0);
  }, 120_000);
});
