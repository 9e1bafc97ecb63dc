import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresDatabase, type Database } from '../../packages/core/src/index.js';
import { CatalogChurn } from '../../packages/demo/src/catalog-churn.js';
import { BUNDLED_TABLES_FILE } from '../../pull-service/src/config.js';
import { loadTableMapping } from '../../pull-service/src/plan/table-mapping.js';
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

/** Tables whose statements on the PDV are a pull apply: the bundled catalog mapping and the checkpoints. */
const APPLY_TABLES = `(${[...loadTableMapping(BUNDLED_TABLES_FILE).tables.map((table) => table.localTable), 'sync_checkpoint'].join('|')})`;

/**
 * Terminates the daemons' PDV backends that are inside a claim, an outcome or an apply: active on a statement
 * that touches sync_outbox (push-service) or a catalog table / sync_checkpoint (pull-service), or idle inside
 * the transaction of one. The push backlog gauge (a count) and a checkpoint read outside a transaction are
 * not that work and are left alone. After a hit the loop pauses, so that the daemons make progress between
 * kills; it runs at least minMs, and on until each kind was hit `wanted` times or maxMs passed.
 */
async function killMidWork(admin: Database, database: string, limits: { minMs: number; maxMs: number; wanted: number }) {
  const hits = { claims: 0, applies: 0, inTransaction: 0, polls: 0 };
  const started = Date.now();
  for (;;) {
    const elapsed = Date.now() - started;
    if (elapsed > limits.maxMs || (elapsed > limits.minMs && hits.claims >= limits.wanted && hits.applies >= limits.wanted)) return hits;
    hits.polls += 1;
    const { rows } = await admin.query<{ app: string; state: string }>(
      `SELECT application_name AS app, state, pg_terminate_backend(pid) AS killed FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')
         AND ((application_name = 'push-service' AND query ~* 'sync_outbox' AND (state = 'idle in transaction' OR query !~* 'count\\('))
           OR (application_name = 'pull-service' AND query ~* $2
               AND (state = 'idle in transaction' OR xact_start < query_start OR query ~* '^\\s*(insert|update|delete|merge|with)')))`,
      [database, APPLY_TABLES],
    );
    for (const row of rows) {
      if (row.app === 'push-service') hits.claims += 1;
      else hits.applies += 1;
      if (row.state === 'idle in transaction') hits.inTransaction += 1;
    }
    await sleep(rows.length > 0 ? randomBetween(150, 500) : 5);
  }
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

    // 1. Connections of the daemons killed mid-work. Claims, outcomes and applies last a few milliseconds, so a
    // kill at a random moment nearly always lands between them; a tight poll of pg_stat_activity on its own
    // connection catches the daemons' backends while they are inside that work and terminates exactly those.
    const hits = await killMidWork(admin, rig.pdv.name, { minMs: ctx.quick ? 5_000 : 40_000, maxMs: ctx.quick ? 20_000 : 90_000, wanted: ctx.quick ? 4 : 30 });
    outcome.set('push-service killed in a claim/outcome', hits.claims);
    outcome.set('pull-service killed in an apply', hits.applies);
    outcome.set('of those, idle in transaction', hits.inTransaction);
    outcome.set('pg_stat_activity polls', hits.polls);
    outcome.expect(hits.claims > 0, 'no push-service connection was killed in the middle of a claim or an outcome');
    outcome.expect(hits.applies > 0, 'no pull-service connection was killed in the middle of an apply');

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
