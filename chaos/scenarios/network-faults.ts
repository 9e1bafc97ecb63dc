import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultAction } from '../../packages/core/test/support/fault-proxy.js';
import { CatalogChurn } from '../../packages/demo/src/catalog-churn.js';
import { Outcome, type ChaosContext } from '../support/context.js';
import { Activity, catalogFigures, createRig, deliveryFigures, pendingEvents, waitConverged, waitFirstCatalog } from '../support/rig.js';

interface Phase {
  kind: string;
  seconds: number;
  /** The share of requests that get the fault; the rest pass, as on a flaky link. */
  share: number;
  action: FaultAction;
  outage?: boolean;
}

/**
 * Both daemons talk to central-api through the fault proxy, which injects one kind of fault per phase while
 * sales and catalog edits go on. The push timeout is 2.5 s and the pull timeout 4 s, so a 5 s delay is
 * beyond both. After the last phase the link is clean again and the backlog must drain completely.
 */
export async function networkFaults(ctx: ChaosContext): Promise<Outcome> {
  const outcome = new Outcome();
  const seconds = ctx.quick ? 5 : 20;
  const phases: Phase[] = [
    { kind: 'reset', seconds, share: 0.5, action: { kind: 'reset' } },
    { kind: 'delay beyond timeout', seconds, share: 0.4, action: { kind: 'delay', ms: 5_000 } },
    { kind: 'black hole', seconds, share: 0.3, action: { kind: 'stall' } },
    { kind: '503 + Retry-After', seconds, share: 0.8, action: { kind: 'status', status: 503, retryAfter: '2' } },
    { kind: '429 burst', seconds, share: 0.8, action: { kind: 'status', status: 429, retryAfter: '1' } },
    { kind: 'truncated answer', seconds, share: 0.5, action: { kind: 'truncate' } },
  ];
  // A full outage of several minutes: new connections refused, kept-alive ones reset.
  if (!ctx.quick) phases.push({ kind: 'full outage', seconds: 180, share: 1, action: { kind: 'reset' }, outage: true });

  const products = ctx.quick ? 300 : 2_000;
  const rig = await createRig(ctx, { products, proxy: true });
  const proxy = rig.proxy!;
  const injected = new Map<string, number>();
  try {
    rig.startDaemon('pull');
    rig.startDaemon('push');
    await waitFirstCatalog(rig);
    await rig.till.open();
    const activity = new Activity(rig, new CatalogChurn(rig.central.db, products + 1));
    activity.start(200);
    for (const phase of phases) {
      ctx.progress(`  ${phase.kind} for ${phase.seconds} s`);
      proxy.plan = () => {
        if (Math.random() >= phase.share) return { kind: 'pass' };
        injected.set(phase.kind, (injected.get(phase.kind) ?? 0) + 1);
        return phase.action;
      };
      const refusedBefore = proxy.refusedConnections;
      if (phase.outage) proxy.setRefusing(true);
      await sleep(phase.seconds * 1000);
      proxy.setRefusing(false);
      // During an outage the faults are connections refused before any request is read.
      if (phase.outage) injected.set(phase.kind, (injected.get(phase.kind) ?? 0) + proxy.refusedConnections - refusedBefore);
    }
    proxy.plan = () => ({ kind: 'pass' });
    await activity.stop();
    await rig.till.close();
    const backlog = await pendingEvents(rig);
    const drain = await waitConverged(rig, ctx.quick ? 90_000 : 240_000);

    for (const phase of phases) outcome.set(`faults: ${phase.kind}`, injected.get(phase.kind) ?? 0);
    if (!ctx.quick) outcome.set('outage length (s)', 180);
    outcome.set('requests through the proxy', proxy.requests.length);
    outcome.set('backlog at recovery (events)', backlog);
    outcome.set('drain after recovery (s)', drain === null ? 'never' : Number(drain.toFixed(1)));
    outcome.expect(drain !== null, 'the backlog did not drain after the faults stopped');
    for (const phase of phases) outcome.expect((injected.get(phase.kind) ?? 0) > 0, `no ${phase.kind} fault was injected`);
    outcome.set('sales rung up', rig.till.sales);
    await deliveryFigures(rig, outcome);
    await catalogFigures(rig, outcome);
  } finally {
    await rig.dispose();
  }
  return outcome;
}
