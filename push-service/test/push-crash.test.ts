import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends, type Backend } from '../../packages/core/test/support/backends.js';
import { waitFor } from '../../packages/core/test/support/spawn-daemon.js';
import { countRows, insertOutboxEvents, makeEvents } from './support/outbox-fixtures.js';
import { peakRssMb } from './support/process-memory.js';
import { createPushRig, stopGracefully, type PushRig } from './support/push-rig.js';
import { seededRandom } from '../../test-support/seeded-random.js';

function useRig(backend: Backend): () => PushRig {
  let rig: PushRig;
  beforeEach(async () => {
    rig = await createPushRig(backend);
  });
  afterEach(async () => {
    await rig.dispose();
  });
  return () => rig;
}

describeBackends('push-service killed with SIGKILL', (backend) => {
  const current = useRig(backend);

  // Embedded PGlite serialises every connection, which makes each restart and recovery slow; it gets a lighter
  // run of the same scenario, and the server the full one (5,000 events, 20 kills).
  const scale = backend.name === 'pglite' ? { events: 1_000, kills: 5 } : { events: 5_000, kills: 20 };

  it(`loses nothing and duplicates nothing while push-service is killed at random moments (${scale.kills} times, ${scale.events} events)`, async () => {
    const rig = current();
    const random = seededRandom(20261203);
    await insertOutboxEvents(rig.pdv.db, makeEvents(scale.events, 25));
    // Short leases so that a killed worker's claims come back quickly; timeouts stay below the lease.
    const env = { PUSH_BATCH_SIZE: '200', PUSH_LEASE_MS: '3000', PUSH_RESPONSE_TIMEOUT_MS: '1500' };
    let kills = 0;
    while (kills < scale.kills) {
      const push = rig.startPush(env);
      // Wait until it has started working, then kill it somewhere inside a cycle.
      await waitFor(async () => push.stdout().includes('schema up to date') || push.child.exitCode !== null, 30_000, 'push-service to start');
      await new Promise((r) => setTimeout(r, 50 + random.next() * 700));
      push.child.kill('SIGKILL');
      await push.exited;
      kills += 1;
    }
    const survivor = rig.startPush(env);
    await waitFor(async () => survivor.stdout().includes('schema up to date'), 30_000, 'the last push-service to start');
    await rig.waitDrained(180_000).catch(async (error: unknown) => {
      const state = await rig.pdv.db.query('SELECT claim_count, attempts, lease_owner IS NOT NULL AS leased, count(*) AS n FROM sync_outbox WHERE sent_at IS NULL GROUP BY 1, 2, 3');
      throw new Error(`${(error as Error).message}; pending: ${JSON.stringify(state.rows)}; survivor said: ${survivor.stdout().slice(-1500)}`);
    });
    expect(await stopGracefully(survivor)).toBe(0);

    expect(kills).toBe(scale.kills);
    expect(await rig.inboxCount()).toBe(scale.events);
    expect(await countRows(rig.pdv.db, 'sync_outbox', 'sent_at IS NOT NULL')).toBe(scale.events);
    expect(await countRows(rig.pdv.db, 'sync_dead_letter')).toBe(0);
  }, 300_000);
});

// PGlite runs one transaction at a time for every connection; the 50,000-event drain is measured on a server.
describeBackends(
  'push-service after a long outage',
  (backend) => {
    const current = useRig(backend);

    it('drains a backlog of 50,000 events built while the central API was unreachable, with bounded memory', async () => {
      const rig = current();
      rig.proxy.setRefusing(true);
      const push = rig.startPush({ PUSH_BATCH_SIZE: '500', PUSH_BACKOFF_CAP_MS: '1000', PUSH_RESPONSE_TIMEOUT_MS: '60000', PUSH_LEASE_MS: '120000' });
      await insertOutboxEvents(rig.pdv.db, makeEvents(50_000, 50, 500));
      await waitFor(async () => push.stdout().includes('central API unavailable'), 30_000, 'the outage to be noticed');
      expect(await rig.inboxCount()).toBe(0);

      rig.proxy.setRefusing(false);
      const started = Date.now();
      await rig.waitDrained(600_000);
      const drainSeconds = (Date.now() - started) / 1_000;
      const peak = await peakRssMb(push.child.pid!);
      expect(await stopGracefully(push)).toBe(0);
      console.log(`[${backend.name}] 50,000-event backlog drained in ${drainSeconds.toFixed(1)} s; push-service peak RSS ${peak.toFixed(0)} MB`);
      expect(await rig.inboxCount()).toBe(50_000);
      expect(peak).toBeLessThan(300);
    }, 300_000);
  },
  ['postgres', 'mssql'],
);
