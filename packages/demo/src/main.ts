#!/usr/bin/env node
/**
 * pnpm demo [--follow] [--seconds N] [--daemons-from <checkout>]
 *
 * --daemons-from runs the PDV daemons of another built checkout (an earlier release) against this central-api:
 * the mixed-version check of a rollout.
 *
 * Runs the real system on embedded databases: a central PGlite and one PGlite per PDV, central-api, and a
 * pull-service and a push-service per PDV as real child processes on their normal entry points. It seeds a
 * catalog, then edits it and rings up sales while everything runs, shows live progress, waits for the PDVs to
 * converge, and checks that every PDV equals the central catalog and that every sale arrived exactly once.
 * Exit code 0 when every check passes, 1 otherwise.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { applySchema } from '@goldpdv/core';
import { BackOffice } from './back-office.js';
import { CatalogChurn } from './catalog-churn.js';
import { ENTRY_POINTS, startDaemon, type RunningDaemon } from './daemons.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.js';
import { readPdvProgress, renderStatusLine, type PdvProgress } from './progress.js';
import { seedCentralCatalog, seedReferenceData, seedStores } from './seed-catalog.js';
import { Till } from './till.js';
import { checkCatalog, checkSales, checkStock, type CheckResult } from './verify.js';
import { printSummary } from './summary.js';

const args = process.argv.slice(2);
const follow = args.includes('--follow');
const activitySeconds = Number(args[args.indexOf('--seconds') + 1]) || 30;
const daemonsFrom = args.includes('--daemons-from') ? resolve(args[args.indexOf('--daemons-from') + 1] ?? '') : null;
const DAEMON_ENTRY = {
  pull: daemonsFrom ? join(daemonsFrom, 'pull-service/dist/main.js') : ENTRY_POINTS['pull-service'],
  push: daemonsFrom ? join(daemonsFrom, 'push-service/dist/main.js') : ENTRY_POINTS['push-service'],
};
const PRODUCTS = 5_000;
const FIRST_PRODUCTS = 200;
// An earlier release's pull-service does not pull estoque (its mapping does not list it).
const TRACKED_TABLES = daemonsFrom ? 7 : 8;
/** Products the back office reprices and buys: seeded first, never retired by the catalog churn. */
const BACK_OFFICE_PRODUCTS = Array.from({ length: 50 }, (_, i) => 150 + i);
const PDVS = [
  { pdvId: 'loja01-pdv01', lojaId: 1 },
  { pdvId: 'loja02-pdv01', lojaId: 2 },
];

interface Pdv {
  pdvId: string;
  lojaId: number;
  token: string;
  db: EmbeddedDatabase;
  till: Till;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1_000;

async function main(): Promise<number> {
  const workDir = await mkdtemp(join(tmpdir(), 'goldpdv-demo-'));
  const logDir = join(workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  out(`GoldPDV Sync demo: embedded in-memory databases; logs in ${logDir}`);
  if (daemonsFrom) out(`PDV daemons from ${daemonsFrom} (an earlier release), central-api from this checkout`);

  // The three embedded databases start side by side: each takes a few seconds to boot.
  const [central, ...pdvDbs] = await Promise.all([
    startEmbeddedDatabase('central'),
    ...PDVS.map(({ pdvId }) => startEmbeddedDatabase(pdvId)),
  ]);
  const pdvs: Pdv[] = PDVS.map(({ pdvId, lojaId }, i) => ({
    pdvId,
    lojaId,
    token: randomBytes(24).toString('base64url'),
    db: pdvDbs[i]!,
    till: new Till(pdvDbs[i]!.db, lojaId, pdvId),
  }));
  out(`embedded databases up (t+${elapsed().toFixed(1)} s)`);
  const daemons: RunningDaemon[] = [];
  let stopRequested = false;
  process.on('SIGINT', () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    out('\nstopping: finishing the activity, then checking and shutting down (Ctrl-C again to abort)');
  });

  try {
    await applySchema(central.db, { role: 'central' });
    // The stores exist before central-api registers the PDV tokens; the rest of the catalog is seeded while the
    // daemons boot, as a back office would fill it.
    await seedStores(central.db);

    const api = startDaemon('central-api', ENTRY_POINTS['central-api'], {
      DB_URL: central.url,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      ADMIN_PORT: '0',
      PDV_TOKENS: pdvs.map((p) => `${p.pdvId}:${p.lojaId}:${p.token}`).join(','),
      EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda,caixa.movimento=sync_handle_caixa_movimento',
      LOG_DIR: join(logDir, 'central-api'),
    }, logDir);
    daemons.push(api);
    const port = await waitFor(() => /"port":(\d+)/.exec(api.output())?.[1], 60_000, 'central-api to listen', api);
    const centralUrl = `http://127.0.0.1:${port}`;

    for (const pdv of pdvs) {
      const common = {
        PDV_ID: pdv.pdvId,
        CENTRAL_API_URL: centralUrl,
        CENTRAL_API_TOKEN: pdv.token,
        DB_URL: pdv.db.url,
        HEALTH_HOST: '127.0.0.1',
        HEALTH_PORT: '0',
        START_JITTER_MS: '0',
        POLL_INTERVAL_MS: '500',
      };
      daemons.push(startDaemon(`${pdv.pdvId}-pull`, DAEMON_ENTRY.pull, { ...common, LOG_DIR: join(logDir, `${pdv.pdvId}-pull`) }, logDir));
      daemons.push(startDaemon(`${pdv.pdvId}-push`, DAEMON_ENTRY.push, { ...common, LOG_DIR: join(logDir, `${pdv.pdvId}-push`) }, logDir));
    }
    await seedReferenceData(central.db, FIRST_PRODUCTS);
    await seedCentralCatalog(central.db, { products: PRODUCTS, customers: 1_000 }, FIRST_PRODUCTS + 1);
    out(`central catalog seeded: ${PRODUCTS} products, ${PRODUCTS * 2} store prices, 1,000 customers (t+${elapsed().toFixed(1)} s)`);

    const first = pdvs[0]!;
    const firstRowAt = await waitFor(
      async () => ((await first.db.db.query('SELECT 1 FROM produto LIMIT 1').catch(() => ({ rows: [] }))).rows.length > 0 ? elapsed() : undefined),
      120_000,
      'the first synced row',
    );
    out(`first synced row on ${first.pdvId} after ${firstRowAt.toFixed(1)} s`);

    for (const pdv of pdvs) await pdv.till.open();
    const churn = new CatalogChurn(central.db, PRODUCTS + 1);
    const backOffice = await BackOffice.register(central.db, centralUrl);
    const activityEnds = elapsed() + activitySeconds;
    let lastLine = 0;
    while (follow ? !stopRequested : elapsed() < activityEnds && !stopRequested) {
      await churn.round();
      if (churn.rounds % 4 === 1) await backOffice.work(BACK_OFFICE_PRODUCTS);
      for (const pdv of pdvs) for (let i = 0; i < 3; i++) await pdv.till.ringUpSale();
      if (elapsed() - lastLine >= 1) {
        lastLine = elapsed();
        await showProgress(pdvs, central, churn.rounds);
      }
      await sleep(150);
    }
    for (const pdv of pdvs) await pdv.till.close();

    out(`\nactivity over at t+${elapsed().toFixed(1)} s; waiting for every PDV to converge`);
    const convergedIn = await waitFor(async () => {
      const progress = await showProgress(pdvs, central, churn.rounds);
      return progress.every((p) => p.changesBehind === 0 && p.eventsPending === 0) ? elapsed() : undefined;
    }, 180_000, 'the PDVs to converge').catch(() => null);
    out('');

    const checks: CheckResult[] = [];
    if (convergedIn === null) checks.push({ name: 'convergence', ok: false, detail: 'the PDVs did not converge within 180 s' });
    for (const pdv of pdvs) {
      checks.push(...(await checkCatalog(pdv.pdvId, pdv.lojaId, pdv.db.db, central.db, daemonsFrom === null)));
      checks.push(...(await checkSales(pdv.pdvId, pdv.db.db, central.db)));
    }
    checks.push(await checkStock(central.db));
    out(`back office: ${backOffice.priceChanges} price changes and ${backOffice.purchases} purchases through the back-office API`);
    const peaks = await Promise.all(daemons.map(async (d) => [d.name, await d.peakRssMb()] as const));
    const progress = await Promise.all(pdvs.map((p) => readPdvProgress(p.pdvId, p.lojaId, p.db.db, central.db, TRACKED_TABLES)));
    printSummary({ out, checks, progress, peaks, firstRowAt, convergedAt: convergedIn, catalogRounds: churn.rounds, workDir });
    return checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    for (const pdv of pdvs) await pdv.db.stop();
    await central.stop();
  }
}

async function showProgress(pdvs: readonly Pdv[], central: EmbeddedDatabase, rounds: number): Promise<PdvProgress[]> {
  const progress = await Promise.all(pdvs.map((p) => readPdvProgress(p.pdvId, p.lojaId, p.db.db, central.db, TRACKED_TABLES)));
  const line = renderStatusLine(elapsed(), progress, pdvs.reduce((n, p) => n + p.till.sales, 0), rounds);
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line.slice(0, (process.stdout.columns || 200) - 1)}`);
  else out(line);
  return progress;
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, daemon?: RunningDaemon): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (daemon && daemon.child.exitCode !== null) throw new Error(`${daemon.name} exited with code ${daemon.child.exitCode} while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1_000} s`);
    await sleep(100);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`\ndemo failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
