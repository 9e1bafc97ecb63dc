import { randomBytes } from 'node:crypto';
import { applySchema, createPostgresDatabase, type Database } from '../../packages/core/src/index.js';
import { startCentralProcess, type CentralProcess } from '../../packages/core/test/support/central-process.js';
import { DAEMON_ENTRY, spawnDaemon, type SpawnedDaemon } from '../../packages/core/test/support/spawn-daemon.js';
import { seedCentralCatalog, seedReferenceData, seedStores } from '../../packages/demo/src/seed-catalog.js';
import { Till } from '../../packages/demo/src/till.js';
import { checkCatalog } from '../../packages/demo/src/verify.js';
import { createScratchDatabase } from '../../push-service/bench/scratch-database.js';

export const PDV = { pdvId: 'loja01-pdv01', lojaId: 1 } as const;
const HANDLERS = 'venda.finalizada=sync_handle_venda,caixa.movimento=sync_handle_caixa_movimento';

interface Scratch {
  url: string;
  db: Database;
  drop(): Promise<void>;
}

async function scratch(serverUrl: string, prefix: string): Promise<Scratch> {
  const created = await createScratchDatabase(serverUrl, prefix);
  const db = createPostgresDatabase({ kind: 'postgres', connectionString: created.url, poolMax: 2, connectTimeoutMs: 5_000, requestTimeoutMs: 120_000 }, 'goldpdv-bench-idle');
  return {
    url: created.url,
    db,
    async drop() {
      await db.close().catch(() => undefined);
      await created.drop();
    },
  };
}

export interface IdleRig {
  central: Scratch;
  pdv: Scratch;
  api: CentralProcess;
  pull: SpawnedDaemon;
  push: SpawnedDaemon;
  till: Till;
  dispose(): Promise<void>;
}

/**
 * central-api on a scratch central database with the sample catalog, and one PDV: pull-service and push-service
 * as child processes of the built entry points on the PDV's scratch database, with default settings (only what
 * has no default is set, and the health ports are left to the system so that the two daemons can share a host).
 */
export async function startIdleRig(serverUrl: string, products: number, note: (line: string) => void): Promise<IdleRig> {
  const central = await scratch(serverUrl, 'gp_idle_central');
  const pdv = await scratch(serverUrl, 'gp_idle_pdv');
  const stops: (() => Promise<void>)[] = [() => pdv.drop(), () => central.drop()];
  const dispose = async () => {
    for (const stop of stops) await stop().catch((error: unknown) => note(`cleanup: ${(error as Error).message}`));
  };
  try {
    await applySchema(central.db, { role: 'central' });
    await applySchema(pdv.db, { role: 'pdv' });
    await seedStores(central.db);
    await seedReferenceData(central.db, Math.min(50, products));
    if (products > 50) await seedCentralCatalog(central.db, { products, customers: 200 }, 51);
    const token = randomBytes(24).toString('base64url');
    const api = await startCentralProcess({ DB_URL: central.url, PDV_TOKENS: `${PDV.pdvId}:${PDV.lojaId}:${token}`, EVENT_HANDLERS: HANDLERS });
    stops.unshift(() => api.stop());
    const env = { PDV_ID: PDV.pdvId, CENTRAL_API_URL: api.url, CENTRAL_API_TOKEN: token, DB_URL: pdv.url, HEALTH_HOST: '127.0.0.1', HEALTH_PORT: '0' };
    const pull = spawnDaemon(DAEMON_ENTRY['pull-service'], env);
    stops.unshift(() => stopChild(pull));
    const push = spawnDaemon(DAEMON_ENTRY['push-service'], env);
    stops.unshift(() => stopChild(push));
    return { central, pdv, api, pull, push, till: new Till(pdv.db, PDV.lojaId, PDV.pdvId), dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function stopChild(daemon: SpawnedDaemon): Promise<void> {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGTERM');
  const force = setTimeout(() => daemon.child.kill('SIGKILL'), 20_000);
  await daemon.exited;
  clearTimeout(force);
}

/** Every catalog table of the PDV equals the central one, and no event waits on the PDV; returns the seconds it took. */
export async function waitSynced(rig: IdleRig, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const exited = [rig.pull, rig.push, rig.api.daemon].find((daemon) => daemon.child.exitCode !== null);
    if (exited) throw new Error(`a process exited before the PDV was in sync: ${exited.stderr().slice(-2_000)}`);
    if (await synced(rig).catch(() => false)) return (Date.now() - started) / 1_000;
    if (Date.now() - started > timeoutMs) throw new Error(`the PDV was not in sync with central after ${timeoutMs / 1_000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function synced(rig: IdleRig): Promise<boolean> {
  const pending = await rig.pdv.db.query<{ n: string }>('SELECT (SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL) + (SELECT count(*) FROM sync_capture) AS n');
  if (Number(pending.rows[0]!.n) > 0) return false;
  return (await checkCatalog(PDV.pdvId, PDV.lojaId, rig.pdv.db, rig.central.db)).every((check) => check.ok);
}
