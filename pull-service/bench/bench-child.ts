import { readFileSync } from 'node:fs';
import type { Backend } from '../../packages/core/test/support/backends.js';
import { DAEMON_ENTRY, spawnDaemon } from '../../packages/core/test/support/spawn-daemon.js';
import { PDV, type CentralRig } from '../test/support/central-rig.js';
import { countOf, insertProdutos, pdvDatabase } from './bench-databases.js';

export interface SnapshotFigures {
  rows: number;
  seconds: number;
  rowsPerS: number;
  peakRssMb: number;
  /** From the process's first log line ("starting") to the end of the snapshot: start-up and the first requests included. */
  sinceProcessStartSeconds: number;
}

export interface SnapshotOptions {
  /** Where pull-service reaches the central API (a WAN proxy in front of it); the central's own URL by default. */
  centralUrl?: string;
  /** More of pull-service's variables (PULL_PAGE_SIZE...). */
  env?: Record<string, string>;
}

/**
 * A real pull-service process taking a snapshot of produto from a central table of `rows` rows: the change log is
 * emptied first (forced retention), so the table can only come down as a snapshot. The time is taken between
 * the process's own "started" and "finished" log lines; the peak memory is the kernel's high-water mark.
 */
export async function snapshotInChildProcess(central: CentralRig, backend: Backend, rows: number, options: SnapshotOptions = {}): Promise<SnapshotFigures> {
  await insertProdutos(central.db, 1, rows);
  while ((await central.forceRetention()) > 0) {
    // Retention works in bounded batches; go on until the log is empty.
  }
  const local = await pdvDatabase(backend);
  const child = spawnDaemon(DAEMON_ENTRY['pull-service'], {
    PDV_ID: PDV.pdvId,
    CENTRAL_API_URL: options.centralUrl ?? central.url,
    CENTRAL_API_TOKEN: PDV.token,
    DB_URL: local.url!,
    HEALTH_PORT: '0',
    HEALTH_HOST: '127.0.0.1',
    START_JITTER_MS: '0',
    POLL_INTERVAL_MS: '200',
    PULL_LONG_POLL_MS: '0',
    ...options.env,
  });
  try {
    const finished = await waitForLine(child.stdout, (line) => line.msg === 'snapshot finished; back to deltas' && line.table === 'produto', 1_800_000);
    const started = parseLines(child.stdout()).find((line) => line.msg === 'snapshot started' && line.table === 'produto')!;
    const peakRssMb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const seconds = (Date.parse(String(finished.time)) - Date.parse(String(started.time))) / 1000;
    const processStarted = parseLines(child.stdout())[0]!;
    const sinceProcessStartSeconds = (Date.parse(String(finished.time)) - Date.parse(String(processStarted.time))) / 1000;
    const copied = await countOf(local.db, 'SELECT COUNT(*) AS n FROM produto');
    if (copied !== rows) throw new Error(`the snapshot copied ${copied} rows, expected ${rows}`);
    return { rows, seconds, rowsPerS: rows / seconds, peakRssMb, sinceProcessStartSeconds };
  } finally {
    child.child.kill('SIGTERM');
    await child.exited;
    await local.dispose();
  }
}

type LogLine = Record<string, unknown>;

function parseLines(text: string): LogLine[] {
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
}

async function waitForLine(output: () => string, match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = parseLines(output()).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('the child process did not finish the snapshot in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
