import { setTimeout as sleep } from 'node:timers/promises';
import { CatalogChurn } from '../../packages/demo/src/catalog-churn.js';
import { Outcome, type ChaosContext } from '../support/context.js';
import { Activity, catalogFigures, createRig, deliveryFigures, randomBetween, waitConverged, waitFirstCatalog, type DaemonSlot } from '../support/rig.js';

/**
 * push-service and pull-service are each killed with SIGKILL at random moments while sales go up and catalog
 * edits come down; each is restarted at once, as a container runtime would. Afterwards nothing may be lost,
 * nothing applied twice, and every local catalog table must equal the central one.
 */
export async function crashLoops(ctx: ChaosContext): Promise<Outcome> {
  return crashLoopsOn(ctx, 'postgres', { kills: ctx.quick ? 6 : 50, products: ctx.quick ? 400 : 3_000 });
}

/**
 * The same on embedded PGlite: one engine in the chaos process that serves every connection in turn, so a
 * daemon killed inside a transaction must leave it rolled back and the engine free for the next connection.
 */
export async function crashLoopsPglite(ctx: ChaosContext): Promise<Outcome> {
  return crashLoopsOn(ctx, 'pglite', { kills: ctx.quick ? 4 : 20, products: ctx.quick ? 200 : 1_000 });
}

async function crashLoopsOn(ctx: ChaosContext, backend: 'postgres' | 'pglite', { kills, products }: { kills: number; products: number }): Promise<Outcome> {
  const outcome = new Outcome();
  const rig = await createRig(ctx, { products, backend });
  try {
    const pull = rig.startDaemon('pull');
    const push = rig.startDaemon('push');
    await waitFirstCatalog(rig);
    await rig.till.open();
    const activity = new Activity(rig, new CatalogChurn(rig.central.db, products + 1));
    activity.start(ctx.quick ? 150 : 250);

    // Each daemon gets its own killer: random lifetimes, so that kills land in claims, POSTs, applies and boots.
    const killLoop = async (slot: DaemonSlot, counter: { kills: number }) => {
      while (counter.kills < kills) {
        await sleep(randomBetween(300, ctx.quick ? 2_500 : 3_500));
        await slot.kill9();
        counter.kills += 1;
        slot.restart();
        if (counter.kills % 10 === 0) ctx.progress(`  ${slot.name}: ${counter.kills}/${kills} kills`);
      }
    };
    const pushKills = { kills: 0 };
    const pullKills = { kills: 0 };
    await Promise.all([killLoop(push, pushKills), killLoop(pull, pullKills)]);
    await activity.stop();
    await rig.till.close();

    const drain = await waitConverged(rig, ctx.quick ? 90_000 : 180_000);
    outcome.set('SIGKILLs push-service', pushKills.kills);
    outcome.set('SIGKILLs pull-service', pullKills.kills);
    outcome.set('sales rung up', rig.till.sales);
    outcome.set('converged after (s)', drain === null ? 'never' : Number(drain.toFixed(1)));
    outcome.expect(drain !== null, 'the PDV did not converge after the last kill');
    await deliveryFigures(rig, outcome);
    await catalogFigures(rig, outcome);
    outcome.expect(rig.till.sales > 0, 'no sale was rung up');
  } finally {
    await rig.dispose();
  }
  return outcome;
}
