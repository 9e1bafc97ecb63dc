import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { waitFor } from '../../packages/core/test/support/spawn-daemon.js';
import { countRows, insertOutboxEvents, makeEvents } from './support/outbox-fixtures.js';
import { createPushRig, type PushRig } from './support/push-rig.js';

interface Readiness {
  ok: boolean;
  components: Record<string, { ok: boolean }>;
  degraded: Record<string, { detail: string }>;
  info: Record<string, number | null>;
}

describeBackends('push-service health and shutdown', (backend) => {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('an unreachable central API is reported with the backlog but leaves the daemon live and ready', async () => {
    rig.proxy.setRefusing(true);
    await insertOutboxEvents(rig.pdv.db, makeEvents(40, 2));
    const push = rig.startPush();
    const port = await waitFor(async () => /"healthPort":(\d+)/.exec(push.stdout())?.[1], 30_000, 'the health port');
    const ready = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      const body = (await response.json()) as Readiness;
      return response.status === 200 && body.degraded['central-api'] && body.info.outboxPending === 40 ? body : null;
    }, 30_000, 'a ready answer that reports the outage and the backlog');
    expect(ready.components.database?.ok).toBe(true);
    expect(ready.info.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    rig.proxy.setRefusing(false);
    await rig.waitDrained(60_000);
    push.child.kill('SIGTERM');
    expect((await push.exited).code).toBe(0);
  }, 120_000);

  it('on SIGTERM with a batch in flight it releases the batch: no lease is left and no claim is counted', async () => {
    await insertOutboxEvents(rig.pdv.db, makeEvents(50, 5));
    rig.proxy.plan = () => ({ kind: 'stall' });
    const push = rig.startPush({ PUSH_RESPONSE_TIMEOUT_MS: '60000', PUSH_LEASE_MS: '120000', PUSH_STOP_GRACE_MS: '500' });
    await waitFor(async () => rig.proxy.requests.length > 0, 30_000, 'a batch in flight');
    expect(await countRows(rig.pdv.db, 'sync_outbox', 'lease_owner IS NOT NULL')).toBeGreaterThan(0);
    const stoppedAt = Date.now();
    push.child.kill('SIGTERM');
    expect((await push.exited).code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    expect(await countRows(rig.pdv.db, 'sync_outbox', 'lease_owner IS NOT NULL')).toBe(0);
    expect(await countRows(rig.pdv.db, 'sync_outbox', 'claim_count > 0')).toBe(0);
    expect(await countRows(rig.pdv.db, 'sync_outbox', 'sent_at IS NULL')).toBe(50);
  }, 120_000);
});
