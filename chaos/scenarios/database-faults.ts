import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresDatabase, type Database } from '../../packages/core/src/index.js';
import { CatalogChurn } from '../../packages/demo/src/catalog-churn.js';
import { Outcome, type ChaosContext } from '../support/context.js';
import { Activity, catalogFigures, createRig, deliveryFigures, randomBetween, waitConverged, waitFirstCatalog } from '../support/rig.js';

const ready = async (url: string): Promise<boolean | null> => {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return null;
  }
};

/** Polls readiness URLs until every one answers `wanted`; the seconds it took, or null on timeout. */
async function waitReadiness(urls: string[], wanted: boolean, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const states = await Promise.all(urls.map(ready));
    if (states.every((state) => state === wanted)) return (Date.now() - started) / 1000;
    await sleep(200);
  }
  return null;
}

/**
 * The local connections are killed with pg_terminate_backend while the daemons claim and apply; then the
 * PDV database and the central database each refuse every connection for a while and come back. The
 * daemons must recover without a restart, and their readiness must follow the database.
 */
export async function databaseFaults(ctx: ChaosContext): Promise<Outcome> {
  const outcome = new Outcome();
  const products = ctx.quick ? 300 : 2_000;
  const rig = await createRig(ctx, { products });
  const admin: Database = createPostgresDatabase({ kind: 'postgres', connectionString: ctx.pgUrl, poolMax: 1, connectTimeoutMs: 5_000, requestTimeoutMs: 30_000 }, 'goldpdv-chaos-admin');
  const terminate = (database: string, onlyDaemons: boolean) =>
    admin.query<{ query: string; state: string | null }>(
      `SELECT query, state, pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND ($2::boolean IS FALSE OR application_name NOT LIKE 'goldpdv-chaos%')`,
      [database, onlyDaemons],
    );
  try {
    const pull = rig.startDaemon('pull');
    const push = rig.startDaemon('push');
    const daemonReady = [`http://127.0.0.1:${await pull.healthPort()}/health/ready`, `http://127.0.0.1:${await push.healthPort()}/health/ready`];
    const centralReady = `${rig.api.url}/health/ready`;
    await waitFirstCatalog(rig);
    await rig.till.open();
    const activity = new Activity(rig, new CatalogChurn(rig.central.db, products + 1));
    activity.start(150);

    // 1. Connections of the daemons killed mid-work; a killed "active" backend was running a claim or an apply.
    const rounds = ctx.quick ? 15 : 80;
    let claims = 0;
    let applies = 0;
    let others = 0;
    for (let round = 0; round < rounds; round++) {
      await sleep(randomBetween(200, 700));
      for (const row of (await terminate(rig.pdv.name, true)).rows) {
        if (row.state === 'active' && /sync_outbox/i.test(row.query)) claims += 1;
        else if (row.state === 'active' && /INSERT|DELETE|UPDATE|sync_checkpoint/i.test(row.query)) applies += 1;
        else others += 1;
      }
    }
    outcome.set('PDV connections killed during a claim', claims);
    outcome.set('PDV connections killed during an apply', applies);
    outcome.set('PDV connections killed while idle/other', others);
    outcome.expect(claims + applies > 0, 'no connection was killed in the middle of a claim or an apply');

    // A daemon that died of a killed connection makes every later phase meaningless: report it now.
    if (!pull.running() || !push.running()) throw new Error(`a daemon exited when its connections were killed: ${[pull, push].filter((slot) => !slot.running()).map((slot) => `${slot.name}: ${(`${slot.current.stdout()}${slot.current.stderr()}`.split('\n').find((line) => /"level":"(fatal|error)"/.test(line)) ?? '').slice(0, 500)}`).join(' | ')}`);

    // 2. The PDV database goes away and comes back.
    const hold = ctx.quick ? 4_000 : 30_000;
    await admin.query(`ALTER DATABASE ${rig.pdv.name} ALLOW_CONNECTIONS false`);
    await terminate(rig.pdv.name, false);
    const pdvNotReady = await waitReadiness(daemonReady, false, 30_000);
    await sleep(hold);
    await admin.query(`ALTER DATABASE ${rig.pdv.name} ALLOW_CONNECTIONS true`);
    const pdvReadyAgain = await waitReadiness(daemonReady, true, 60_000);
    outcome.set('PDV db down: daemons not-ready after (s)', pdvNotReady ?? 'never');
    outcome.set('PDV db back: daemons ready after (s)', pdvReadyAgain ?? 'never');
    outcome.expect(pdvNotReady !== null, 'the daemons did not report not-ready while the PDV database was gone');
    outcome.expect(pdvReadyAgain !== null, 'the daemons did not report ready after the PDV database came back');

    // 3. The central database goes away and comes back.
    await admin.query(`ALTER DATABASE ${rig.central.name} ALLOW_CONNECTIONS false`);
    await terminate(rig.central.name, false);
    const centralNotReady = await waitReadiness([centralReady], false, 30_000);
    await sleep(hold);
    const daemonsDuringCentralOutage = (await Promise.all(daemonReady.map(ready))).map((state) => (state ? 'ready' : 'not-ready')).join('/');
    await admin.query(`ALTER DATABASE ${rig.central.name} ALLOW_CONNECTIONS true`);
    const centralReadyAgain = await waitReadiness([centralReady], true, 60_000);
    outcome.set('central db down: central-api not-ready after (s)', centralNotReady ?? 'never');
    outcome.set('central db down: pull/push readiness', daemonsDuringCentralOutage);
    outcome.set('central db back: central-api ready after (s)', centralReadyAgain ?? 'never');
    outcome.expect(centralNotReady !== null, 'central-api did not report not-ready while its database was gone');
    outcome.expect(centralReadyAgain !== null, 'central-api did not report ready after its database came back');

    await activity.stop();
    await rig.till.close();
    const drain = await waitConverged(rig, ctx.quick ? 90_000 : 180_000);
    outcome.set('drain after recovery (s)', drain === null ? 'never' : Number(drain.toFixed(1)));
    outcome.expect(drain !== null, 'the PDV did not converge after the database faults');
    const restarts = pull.starts + push.starts - 2;
    const alive = pull.running() && push.running() && rig.api.daemon.child.exitCode === null;
    outcome.set('daemon restarts', restarts);
    outcome.set('all processes still running', alive);
    for (const slot of [pull, push]) {
      if (slot.running()) continue;
      const lines = `${slot.current.stdout()}${slot.current.stderr()}`.trim().split('\n');
      const last = (lines.find((line) => /"level":"(fatal|error)"/.test(line)) ?? lines.at(-1) ?? '').slice(0, 600);
      outcome.failures.push(`${slot.name} exited (code ${slot.current.child.exitCode}, signal ${slot.current.child.signalCode}): ${last}`);
    }
    outcome.expect(restarts === 0 && alive, 'a process exited during the database faults');
    outcome.set('sales rung up', rig.till.sales);
    await deliveryFigures(rig, outcome);
    await catalogFigures(rig, outcome);
  } finally {
    // Never leave a database that refuses connections behind: the drop needs them.
    await admin.query(`ALTER DATABASE ${rig.pdv.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.query(`ALTER DATABASE ${rig.central.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.close();
    await rig.dispose();
  }
  return outcome;
}
