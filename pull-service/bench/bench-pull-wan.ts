import type { Backend } from '../../packages/core/test/support/backends.js';
import { startWanProxy, STORE_LINK, UNSHAPED, type WanCounters, type WanShape } from '../../packages/core/test/support/wan-proxy.js';
import { MAX_ROWS_PER_STATEMENT } from '../src/db/statement-size.js';
import { startCentral, type CentralRig } from '../test/support/central-rig.js';
import { snapshotInChildProcess, type SnapshotFigures } from './bench-child.js';

/** The largest page pull-service accepts (PULL_PAGE_SIZE ≤ MAX_ROWS_PER_STATEMENT): how far fewer round trips go. */
const MAX_PAGE = MAX_ROWS_PER_STATEMENT;

export interface WanSnapshot extends SnapshotFigures {
  pageSize: number;
  bytesUp: number;
  bytesDown: number;
  connections: number;
}

/**
 * The initial sync of `rows` products by a pull-service process whose only way to central is the WAN proxy.
 * The bytes are everything the process exchanged with central from its start until the snapshot finished.
 */
export async function snapshotOverWan(backend: Backend, settings: Record<string, number>, rows: number, pageSize: number, shape: WanShape = STORE_LINK): Promise<WanSnapshot> {
  let central: CentralRig | undefined;
  let proxy: Awaited<ReturnType<typeof startWanProxy>> | undefined;
  try {
    central = await startCentral(backend, settings, 'info', { PDV_RATE_LIMIT_PER_S: '0' });
    await central.exec(`INSERT INTO categoria (categoria_id, nome) VALUES (1, 'Bebidas'), (2, 'Padaria'), (3, 'Açougue')`);
    proxy = await startWanProxy({ host: '127.0.0.1', port: Number(new URL(central.url).port) }, shape);
    const before = proxy.counters();
    const figures = await snapshotInChildProcess(central, backend, rows, { centralUrl: proxy.url, env: { PULL_PAGE_SIZE: String(pageSize) } });
    return { ...figures, pageSize, ...difference(before, proxy.counters()) };
  } finally {
    await proxy?.stop();
    await central?.close().catch(() => {});
  }
}

function difference(before: WanCounters, after: WanCounters) {
  return { bytesUp: after.bytesUp - before.bytesUp, bytesDown: after.bytesDown - before.bytesDown, connections: after.connections - before.connections };
}

/**
 * `pnpm bench:pull --wan [--quick] [--json]`: the initial sync of 100,000 products over the shaped link with the
 * default page (500 rows), against one row per request (PULL_PAGE_SIZE=1: the same code path, each row its
 * own round trip). One row per request would take hours on 100,000 rows over this link, so the baseline runs on
 * the first 1,000 (quick: 300) and its time for 100,000 is its measured rate scaled up. A third run takes the
 * largest page allowed, and a fourth the default page through the proxy without shaping: how much of the paged
 * time is round trips, and how much is the machine's own.
 */
export async function runPullWan(backend: Backend, settings: Record<string, number>, quick: boolean, say: (line: string) => void): Promise<Record<string, number | string>> {
  const rows = 100_000;
  const baselineRows = quick ? 300 : 1_000;
  say(`wan: snapshot of ${rows} products, pages of 500, through the shaped link`);
  const paged = await snapshotOverWan(backend, settings, rows, 500);
  say(`wan: snapshot of ${rows} products, pages of ${MAX_PAGE}, through the shaped link`);
  const largest = await snapshotOverWan(backend, settings, rows, MAX_PAGE);
  say(`wan: snapshot of ${rows} products, pages of 500, through the proxy without shaping (reference)`);
  const unshaped = await snapshotOverWan(backend, settings, rows, 500, UNSHAPED);
  say(`wan: snapshot of ${baselineRows} products, one row per request, through the shaped link`);
  const perRow = await snapshotOverWan(backend, settings, baselineRows, 1);
  const bytesPerRow = (snapshot: WanSnapshot) => Math.round((snapshot.bytesUp + snapshot.bytesDown) / snapshot.rows);
  return {
    mode: quick ? 'quick' : 'full',
    link: `${2 * STORE_LINK.oneWayDelayMs} ms round trip, ${STORE_LINK.bitsPerSecond / 1e6} Mbit/s each way`,
    wan_snapshot_rows: rows,
    wan_snapshot_s: round(paged.seconds, 2),
    wan_snapshot_since_process_start_s: round(paged.sinceProcessStartSeconds, 2),
    wan_snapshot_rows_per_s: Math.round(paged.rowsPerS),
    wan_bytes_per_row: bytesPerRow(paged),
    wan_bytes_up: paged.bytesUp,
    wan_bytes_down: paged.bytesDown,
    wan_connections: paged.connections,
    unshaped_snapshot_s: round(unshaped.seconds, 2),
    wan_max_page_rows: MAX_PAGE,
    wan_max_page_snapshot_s: round(largest.seconds, 2),
    wan_max_page_bytes_per_row: bytesPerRow(largest),
    wan_per_row_rows: perRow.rows,
    wan_per_row_s: round(perRow.seconds, 2),
    wan_per_row_rows_per_s: round(perRow.rowsPerS, 1),
    wan_per_row_snapshot_s_scaled: Math.round(rows / perRow.rowsPerS),
    wan_per_row_bytes_per_row: bytesPerRow(perRow),
    wan_ratio_vs_per_row: Math.round(paged.rowsPerS / perRow.rowsPerS),
    wan_snapshot_peak_rss_mb: round(paged.peakRssMb, 1),
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
