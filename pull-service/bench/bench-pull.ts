import type { SyncRow } from '@goldpdv/core';
import { readCheckpoints } from '../test/support/pull-fixtures.js';
import { startCentral, type CentralRig } from '../test/support/central-rig.js';
import { commitToVisibleLatency, percentile } from './bench-latency.js';
import { snapshotInChildProcess } from './bench-child.js';
import { runPullWan } from './bench-pull-wan.js';
import { fetchDelta, naiveUpsert, pullUntilIdle, rawUpsert } from './bench-delta.js';
import { insertProdutos, pdvDatabase, postgresBackend } from './bench-databases.js';

/**
 * pnpm bench:pull [--quick] [--json] [--wan]
 * Figures of pull-service against PostgreSQL (BENCH_PG_URL, else TEST_PG_URL) for the central and the local
 * database, with the real central API in this process and, for the snapshot, pull-service as a child process.
 * --wan runs instead the initial sync over a shaped link (bench-pull-wan.ts), paged and one row per request.
 */
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const asJson = args.has('--json');
const wan = args.has('--wan');
const serverUrl = process.env.BENCH_PG_URL ?? process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIZES = quick ? { delta: 10_000, snapshot: 50_000, latency: 50 } : { delta: 100_000, snapshot: 1_000_000, latency: 200 };
const PAGE_SIZE = 500;
/**
 * The central API with its default settings rather than the test rig's: the rig re-reads the table catalog on
 * every request (TABLE_REGISTRY_TTL_MS 0) so that tests see tracking turned on and off at once, while a server
 * left at its defaults re-reads it every 10 s.
 */
const CENTRAL_SETTINGS = { CHANGES_POLL_INTERVAL_MS: 150, TABLE_REGISTRY_TTL_MS: 10_000 };
/** The benches measure throughput: the per-PDV rate limit (a guard against a runaway PDV) is off for them. */
const BENCH_CENTRAL_ENV = { PDV_RATE_LIMIT_PER_S: '0' };

const say = (message: string) => {
  if (!asJson) process.stderr.write(`${message}\n`);
};
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const backend = postgresBackend(serverUrl);
  const centrals: CentralRig[] = [];
  try {
    if (wan) {
      const figures = await runPullWan(backend, CENTRAL_SETTINGS, quick, say);
      if (asJson) process.stdout.write(`${JSON.stringify(figures)}\n`);
      else for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name.padEnd(34)} ${value}\n`);
      return;
    }
    const central = await startCentral(backend, CENTRAL_SETTINGS, 'info', BENCH_CENTRAL_ENV);
    centrals.push(central);
    await central.exec(`INSERT INTO categoria (categoria_id, nome) VALUES (1, 'Bebidas'), (2, 'Padaria'), (3, 'Açougue')`);
    const local = await pdvDatabase(backend);

    say(`delta: ${SIZES.delta} produto rows`);
    await insertProdutos(central.db, 1, SIZES.delta);
    const initialSeconds = await pullUntilIdle(central, local.db, PAGE_SIZE);
    const { version: since, syncToken } = (await readCheckpoints(local.db)).get('produto')!;
    await central.exec(`UPDATE produto SET preco_base = preco_base + 1, descricao = descricao || ' v2'`);
    const deltaSeconds = await pullUntilIdle(central, local.db, PAGE_SIZE);

    say('naive: the same pages, one upsert per row');
    const naiveStarted = process.hrtime.bigint();
    const naiveRows = await fetchDelta(central, since, syncToken, PAGE_SIZE, (rows) => naiveUpsert(local.db, rows));
    const naiveSeconds = Number(process.hrtime.bigint() - naiveStarted) / 1e9;

    say('raw: the same rows bulk-loaded with unnest');
    const collected: SyncRow[] = [];
    await fetchDelta(central, since, syncToken, 5_000, async (rows) => {
      collected.push(...rows);
    });
    const rawStarted = process.hrtime.bigint();
    for (let i = 0; i < collected.length; i += 50_000) await rawUpsert(local.db, collected.slice(i, i + 50_000));
    const rawSeconds = Number(process.hrtime.bigint() - rawStarted) / 1e9;

    say(`latency: ${SIZES.latency} single changes with long-poll`);
    const latencies = await commitToVisibleLatency(central, local.db, SIZES.delta + 1, SIZES.latency);
    await local.dispose();

    say(`snapshot: ${SIZES.snapshot} rows into a pull-service child process`);
    const snapshotCentral = await startCentral(backend, CENTRAL_SETTINGS, 'info', BENCH_CENTRAL_ENV);
    centrals.push(snapshotCentral);
    await snapshotCentral.exec(`INSERT INTO categoria (categoria_id, nome) VALUES (1, 'Bebidas'), (2, 'Padaria'), (3, 'Açougue')`);
    const snapshot = await snapshotInChildProcess(snapshotCentral, backend, SIZES.snapshot);

    const rowsPerS = SIZES.delta / deltaSeconds;
    const naivePerS = naiveRows / naiveSeconds;
    const rawPerS = collected.length / rawSeconds;
    const figures = {
      mode: quick ? 'quick' : 'full',
      page_size: PAGE_SIZE,
      delta_rows: SIZES.delta,
      initial_rows_per_s: round(SIZES.delta / initialSeconds),
      rows_per_s: round(rowsPerS),
      naive_rows_per_s: round(naivePerS),
      raw_rows_per_s: round(rawPerS),
      ratio_vs_naive: round(rowsPerS / naivePerS, 2),
      ratio_vs_raw: round(rowsPerS / rawPerS, 3),
      snapshot_rows: snapshot.rows,
      snapshot_rows_per_s: round(snapshot.rowsPerS),
      snapshot_peak_rss_mb: round(snapshot.peakRssMb, 1),
      latency_changes: latencies.length,
      latency_p50_ms: round(percentile(latencies, 50), 1),
      latency_p99_ms: round(percentile(latencies, 99), 1),
    };
    if (asJson) process.stdout.write(`${JSON.stringify(figures)}\n`);
    else for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name.padEnd(22)} ${value}\n`);
  } finally {
    for (const central of centrals) await central.close().catch(() => {});
    await backend.dropAll();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench-pull failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
