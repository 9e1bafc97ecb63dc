/**
 * pnpm bench:idle [--json] [--seconds N] [--products N] [--samples N] [--settle N]
 *
 * The cost of the sync processes at rest on a PDV: central-api on a scratch database of the PostgreSQL server of
 * TEST_PG_URL, and one PDV (pull-service and push-service, the built entry points, default settings) on a scratch
 * database of the same server. Once the PDV holds the central catalog and the processes have settled, it measures
 * each process's share of a core (utime + stime from /proc/<pid>/stat over the window) and its resident memory
 * (VmRSS), then how long a new sale takes to reach central and a central product change to reach the PDV, so that
 * a saving at rest is seen not to slow either. With --json the last line of stdout is one JSON object.
 */
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureIdle, type IdleFigures } from './proc-sample.js';
import { catalogReactionMs, saleReactionMs, summarise, type ReactionSummary } from './first-reaction.js';
import { startIdleRig, waitSynced } from './idle-rig.js';

const args = process.argv.slice(2);
const json = args.includes('--json');

/** A whole number after `flag`, or the default; anything else stops with one line naming the flag. */
function intArg(flag: string, fallback: number, min: number): number {
  const index = args.indexOf(flag);
  if (index === -1) return fallback;
  const text = args[index + 1] ?? '';
  if (!/^\d+$/.test(text) || Number(text) < min) {
    process.stderr.write(`bench:idle: ${flag}: expected a whole number >= ${min}; found ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return Number(text);
}

const seconds = intArg('--seconds', 60, 1);
const products = intArg('--products', 2_000, 1);
const samples = intArg('--samples', 5, 1);
const settleSeconds = intArg('--settle', 20, 0);
/** The wait before each reaction sample after the first is random in this range, so samples fall at every phase of the polls. */
const GAP_MS = { min: 1_000, max: 15_000 };
const REACTION_TIMEOUT_MS = 120_000;

// With --json, stdout ends with the report; progress goes to stderr.
const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);

async function main(): Promise<void> {
  const serverUrl = process.env.TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  say(`GoldPDV Sync idle cost: ${products} products, ${seconds} s window, ${samples} reaction samples, on ${new URL(serverUrl).host} (${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)})`);
  const rig = await startIdleRig(serverUrl, products, say);
  try {
    const syncedIn = await waitSynced(rig, 600_000);
    // A session open on the till, as at a working PDV, and its events delivered before the window starts.
    await rig.till.open();
    await waitSynced(rig, 120_000);
    say(`PDV in sync after ${syncedIn.toFixed(1)} s; settling ${settleSeconds} s, then measuring ${seconds} s at rest ...`);
    await sleep(settleSeconds * 1_000);
    const load = loadavg()[0]!;
    const figures = await measureIdle(
      [
        { name: 'pull-service', pid: rig.pull.child.pid! },
        { name: 'push-service', pid: rig.push.child.pid! },
        { name: 'central-api', pid: rig.api.daemon.child.pid! },
      ],
      seconds,
    );
    for (const f of figures) say(`${f.name.padEnd(13)} cpu_pct=${f.cpuPct.toFixed(2).padStart(5)}  rss_mb=${f.rssMb.toFixed(1).padStart(6)}  (max ${f.rssMaxMb.toFixed(1)})`);

    const sale: number[] = [];
    const catalog: number[] = [];
    for (let round = 0; round < samples; round++) {
      // The first sample comes straight after the window, when every poll is at its slowest.
      if (round > 0) await sleep(GAP_MS.min + Math.random() * (GAP_MS.max - GAP_MS.min));
      const [saleMs, catalogMs] = await Promise.all([saleReactionMs(rig, REACTION_TIMEOUT_MS), catalogReactionMs(rig, round, REACTION_TIMEOUT_MS)]);
      sale.push(saleMs);
      catalog.push(catalogMs);
      say(`reaction ${round + 1}/${samples}: sale -> central ${saleMs.toFixed(0)} ms, central change -> PDV ${catalogMs.toFixed(0)} ms`);
    }
    const saleSummary = summarise(sale);
    const catalogSummary = summarise(catalog);
    say(`first reaction: sale -> central median ${saleSummary.medianMs} ms (max ${saleSummary.maxMs}); central change -> PDV median ${catalogSummary.medianMs} ms (max ${catalogSummary.maxMs})`);
    if (json) process.stdout.write(`${JSON.stringify(report(figures, saleSummary, catalogSummary, syncedIn, load))}\n`);
  } finally {
    await rig.dispose();
  }
}

function report(figures: IdleFigures[], sale: ReactionSummary, catalog: ReactionSummary, syncedIn: number, load: number) {
  const round = (value: number, digits: number) => Number(value.toFixed(digits));
  return {
    seconds,
    products,
    cores: cpus().length,
    loadBefore: round(load, 2),
    syncedInSeconds: round(syncedIn, 1),
    processes: Object.fromEntries(figures.map((f) => [f.name, { cpu_pct: round(f.cpuPct, 2), rss_mb: round(f.rssMb, 1), rss_max_mb: round(f.rssMaxMb, 1) }])),
    reaction: { sale_to_central_ms: sale, central_change_to_pdv_ms: catalog },
  };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:idle failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
