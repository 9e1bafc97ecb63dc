import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { insertProduto } from '../../../pull-service/test/support/catalog-data.js';
import type { CentralRig } from '../../../pull-service/test/support/central-rig.js';
import { fleetOf, startReplicaPair, type Replica, type ReplicaPair } from './support/replica-pair.js';
import { startSimulatedPdv, type SimulatedPdv } from './support/simulated-pdvs.js';
import { until } from './support/until.js';

const INTERVAL_MS = 50;

/**
 * The serving clock on a PostgreSQL server, where each replica LISTENs for the change triggers' notification
 * (central/0017): it rests while nothing changes, reads at once when something does, keeps reading while a
 * change waits behind an older open transaction, and serves what changed while its connection was lost.
 * The safety check is set far out (60 s) so that every prompt delivery here is the notification's doing.
 */
describeBackends('the serving clock on the change notification', (backend) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const start = async (): Promise<{ pair: ReplicaPair; pdvs: SimulatedPdv[] }> => {
    const pair = await startReplicaPair(backend, {}, { CHANGES_POLL_INTERVAL_MS: INTERVAL_MS, CHANGES_IDLE_CHECK_MS: 60_000 }, { listenForChanges: true });
    cleanups.push(() => pair.close());
    await pair.exec(`INSERT INTO categoria (categoria_id, nome) VALUES (1, 'Bebidas')`);
    await insertProduto({ exec: pair.exec } as Pick<CentralRig, 'exec'> as CentralRig, 1);
    const fleet = fleetOf(4);
    await pair.addPdvs(fleet);
    // Two PDVs on each replica, each waiting on its table with a long poll.
    const pdvs = await Promise.all(fleet.map((pdv, index) => startSimulatedPdv(pdv, pair.replicas[index % 2]!.port, ['produto'], 20_000)));
    for (const pdv of pdvs) cleanups.push(() => pdv.stop());
    await until(async () => (await Promise.all(pair.replicas.map((replica) => replica.figures()))).every((figures) => figures.waiting === 2), 'every PDV waiting');
    // Each replica's LISTEN connection is up (it opens on the clock's first tick).
    await until(async () => (await listeners(pair)) === 2, 'both LISTEN connections');
    return { pair, pdvs };
  };
  const ticks = async (replicas: readonly Replica[]): Promise<number> => (await Promise.all(replicas.map((replica) => replica.figures()))).reduce((sum, figures) => sum + figures.ticks, 0);
  const listeners = async (pair: ReplicaPair): Promise<number> =>
    Number((await pair.exec(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'central-api-changes'`))[0]!.n);
  const renamed = (pdvs: readonly SimulatedPdv[], version: number) => pdvs.every((pdv) => pdv.deliveries.filter((delivery) => delivery.table === 'produto').length >= version);

  it('rests while the fleet waits and nothing changes, and a commit reaches every waiting PDV at once', async () => {
    const { pair, pdvs } = await start();
    const before = await ticks(pair.replicas);
    await sleep(1_500);
    const idle = (await ticks(pair.replicas)) - before;
    // Every 50 ms, two replicas would have read 60 times in 1.5 s; resting, none (a notification of the PDVs'
    // own registration may still be in flight at the start: at most one more each).
    expect(idle).toBeLessThanOrEqual(2);

    const committed = Date.now();
    await pair.exec(`UPDATE produto SET descricao = 'Agua com gas' WHERE produto_id = 1`);
    await until(() => renamed(pdvs, 1), 'the change at every PDV', 5_000);
    expect(Date.now() - committed).toBeLessThan(2_000);
    // One reading per replica for the commit (maybe one more that began just before the notification).
    expect((await ticks(pair.replicas)) - before - idle).toBeLessThanOrEqual(4);
  }, 60_000);

  it('keeps reading while a committed change waits behind an older open transaction, which ends with no notification of its own', async () => {
    const { pair, pdvs } = await start();
    // An older transaction with a transaction id holds the settled bound below the change committed after it.
    const older = new pg.Client({ connectionString: urlOf(pair) });
    await older.connect();
    cleanups.push(() => older.end());
    await older.query('BEGIN');
    await older.query('SELECT pg_current_xact_id()');
    await pair.exec(`UPDATE produto SET descricao = 'Agua mineral' WHERE produto_id = 1`);
    // Not served while the older transaction is open: the window past it is not settled.
    await sleep(600);
    expect(pdvs.every((pdv) => pdv.deliveries.length === 0)).toBe(true);
    const ticksBehind = await ticks(pair.replicas);
    await sleep(300);
    // Still reading every interval, since the last reading saw a committed change above its bound.
    expect((await ticks(pair.replicas)) - ticksBehind).toBeGreaterThanOrEqual(2);
    const ended = Date.now();
    // A rollback writes nothing tracked, hence notifies nothing: only the clock's own reading can find the change.
    await older.query('ROLLBACK');
    await until(() => renamed(pdvs, 1), 'the change at every PDV once the older transaction ended', 5_000);
    expect(Date.now() - ended).toBeLessThan(2_000);
  }, 60_000);

  it('serves a change made while its LISTEN connection was lost, and listens again', async () => {
    const { pair, pdvs } = await start();
    const killed = await pair.exec(`SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'central-api-changes'`);
    expect(killed.map((row) => row.killed)).toEqual([true, true]);
    // The loss counts as a notification, and the clock reads every interval until it listens again (how soon it
    // does is not fixed: the next reading reconnects; deltas-units.test.ts holds the fallback itself).
    await pair.exec(`UPDATE produto SET descricao = 'Agua sem gas' WHERE produto_id = 1`);
    await until(() => renamed(pdvs, 1), 'the change at every PDV without the notification', 5_000);
    // The connection comes back (the listener retries 30 s after a failed connect; a lost one at the next tick).
    await until(async () => (await listeners(pair)) === 2, 'both LISTEN connections again', 10_000);
    await pair.exec(`UPDATE produto SET descricao = 'Agua tonica' WHERE produto_id = 1`);
    await until(() => renamed(pdvs, 2), 'the next change at every PDV', 5_000);
  }, 60_000);
}, ['postgres']);

/** The URL of the pair's database: the one its replicas were given as DB_URL. */
function urlOf(pair: ReplicaPair): string {
  const url = pair.url;
  if (url === null) throw new Error('the pair has no database URL (a PostgreSQL server is needed)');
  return url;
}
