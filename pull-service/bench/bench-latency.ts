import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@goldpdv/core';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { createPullWorker } from '../src/sync-pull.js';
import { memoryLogger, newHealth, workerConfig } from '../test/support/pull-fixtures.js';
import type { CentralRig } from '../test/support/central-rig.js';
import { countOf, insertProdutos } from './bench-databases.js';

/**
 * Commit-to-visible latency of single changes with long-poll: the worker runs its loop as the daemon does
 * (POLL_INTERVAL_MS 5 s between idle cycles, so polling alone would be far slower); each change is one
 * committed INSERT centrally, and the clock stops when the row can be read locally.
 */
export async function commitToVisibleLatency(central: CentralRig, local: Database, firstId: number, changes: number): Promise<number[]> {
  // The production log level: trace lines would be benchmark overhead that no PDV pays.
  const logs = memoryLogger('info');
  const worker = createPullWorker({ config: workerConfig({ CENTRAL_API_URL: central.url, PULL_TABLES_FILE: BUNDLED_TABLES_FILE, PULL_LONG_POLL_MS: 20_000 }), db: local, logger: logs.sync.logger, health: newHealth() });
  const stop = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      const outcome = await worker.runCycle(stop.signal);
      if (!outcome?.busy) await sleep(5_000, undefined, { signal: stop.signal }).catch(() => {});
    }
  })();
  const latencies: number[] = [];
  try {
    await sleep(1_000);
    for (let i = 0; i < changes; i++) {
      const id = firstId + i;
      await sleep(10 + Math.floor(Math.random() * 40));
      await insertProdutos(central.db, id, 1);
      const committed = process.hrtime.bigint();
      while ((await countOf(local, 'SELECT COUNT(*) AS n FROM produto WHERE produto_id = $1', [id])) === 0) await sleep(1);
      latencies.push(Number(process.hrtime.bigint() - committed) / 1e6);
    }
    return latencies;
  } finally {
    stop.abort();
    await loop;
    await worker.stop?.();
    await logs.sync.close();
  }
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
