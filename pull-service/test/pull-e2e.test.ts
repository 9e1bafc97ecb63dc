import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { DaemonWorker } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { createPullWorker } from '../src/sync-pull.js';
import { expectSameCatalog, insertCatalog, insertProduto } from './support/catalog-data.js';
import { PDV, startCentral, type CentralRig } from './support/central-rig.js';
import { countRows, createPdvDatabase, memoryLogger, newHealth, readCheckpoints, workerConfig } from './support/pull-fixtures.js';
import { createMetricsRegistry, type Registry } from '../../packages/core/src/metrics/registry.js';
import { parseExposition } from '../../packages/core/test/support/prometheus-text.js';

/**
 * The real central API and a real pull worker, each on its own real database: the replica must equal the
 * central catalog (this loja's prices only) after inserts, updates, deletes and a forced retention.
 */
describeBackends('pull end to end against the central API', (backend) => {
  let central: CentralRig;
  let local: TestDatabase;
  let worker: DaemonWorker;
  let logs: ReturnType<typeof memoryLogger>;
  const health = newHealth();
  let registry: Registry;
  const signal = new AbortController().signal;

  beforeEach(async () => {
    registry = createMetricsRegistry({ defaultMetrics: false });
    central = await startCentral(backend);
    local = await createPdvDatabase(backend);
    logs = memoryLogger();
    worker = createPullWorker({
      config: workerConfig({ CENTRAL_API_URL: central.url, PULL_TABLES_FILE: BUNDLED_TABLES_FILE, PULL_PAGE_SIZE: 7 }),
      db: local.db,
      logger: logs.sync.logger,
      health,
      metrics: registry,
    });
  });
  afterEach(async () => {
    await worker.stop?.();
    await logs.sync.close();
    await local.dispose();
    await central.close();
  });

  const syncUntilIdle = async (): Promise<number> => {
    for (let cycle = 1; cycle <= 2_000; cycle++) {
      const outcome = await worker.runCycle(signal);
      if (!outcome?.busy) {
        // One more round settles pages that waited for a parent in the last one.
        if (!(await worker.runCycle(signal))?.busy) return cycle;
      }
    }
    throw new Error('the worker never became idle');
  };
  const expectReplica = () => expectSameCatalog(central.db, local.db, PDV.lojaId, (actual, expected, table) => expect(actual, table).toEqual(expected));

  it('replicates inserts, updates and deletes, parents first, with paging, filters and exact values', async () => {
    await insertCatalog(central, 40);
    await syncUntilIdle();
    await expectReplica();
    expect(await countRows(local.db, 'preco_loja')).toBe(20);
    // The same figures reach Prometheus: rows applied per table and the central API's answers by status.
    const exposition = parseExposition(await registry.metrics());
    expect(exposition.value('goldpdv_pull_rows_applied_total', { table: 'produto' })).toBe(40);
    expect(exposition.value('goldpdv_pull_table_failing', { table: 'produto' })).toBe(0);
    expect(exposition.value('goldpdv_pull_streams_held_back_total', {})).toBe(0);
    expect(exposition.value('goldpdv_http_responses_total', { status: '200' })).toBeGreaterThan(0);
    expect(health.readiness().info).toMatchObject({ failingTables: '', 'table.produto.lag': 0, 'table.produto.mode': 'delta' });

    // Updates, deletes through the foreign keys (children first centrally), a category emptied and deleted.
    await central.exec(`UPDATE produto SET preco_base = '99999999999999.9999', descricao = 'Café ☕ torrado' WHERE produto_id IN (1, 2, 3)`);
    await central.exec(`DELETE FROM preco_loja WHERE produto_id IN (5, 7)`);
    await central.exec(`DELETE FROM produto WHERE produto_id IN (5, 6, 7, 8)`);
    await central.exec(`UPDATE produto SET categoria_id = 1 WHERE categoria_id = 3`);
    await central.exec(`DELETE FROM categoria WHERE categoria_id = 3`);
    await central.exec(`INSERT INTO categoria (categoria_id, nome) VALUES (4, 'Hortifrúti')`);
    for (const id of [41, 42, 43]) await insertProduto(central, id, { categoria: 4 });
    await central.exec(`INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em) VALUES (1, 41, '3.3300', '2026-02-01', '2026-02-01T00:00:00')`);
    await central.exec(`UPDATE operador SET login = 'bruno2' WHERE operador_id = 2`);
    await central.exec(`DELETE FROM cliente WHERE nome = 'Maria Ângela'`);
    await syncUntilIdle();
    await expectReplica();
    const checkpoints = await readCheckpoints(local.db);
    expect([...checkpoints.values()].every((checkpoint) => checkpoint.mode === 'delta' && checkpoint.lastError === null && checkpoint.deltaCursor === null)).toBe(true);
    expect((await local.db.query<{ n: string | number }>('SELECT COUNT(*) AS n FROM sync_rejected_row')).rows[0]!.n).toEqual(local.db.dialect === 'mssql' ? 0 : '0');
  });

  it('after a forced retention (410) takes snapshots of the tables, and rows deleted centrally meanwhile disappear', async () => {
    await insertCatalog(central, 30);
    await syncUntilIdle();
    const before = await readCheckpoints(local.db);

    // While the PDV is "offline": deletes across the key range, updates, inserts; then retention drops the log.
    await central.exec(`DELETE FROM preco_loja WHERE produto_id IN (1, 13, 29)`);
    await central.exec(`DELETE FROM produto WHERE produto_id IN (1, 2, 13, 14, 29, 30)`);
    await central.exec(`UPDATE produto SET descricao = 'depois do reset' WHERE produto_id = 20`);
    for (const id of [50, 51]) await insertProduto(central, id);
    await central.exec(`DELETE FROM operador WHERE operador_id = 2`);
    expect(await central.forceRetention()).toBeGreaterThan(0);

    const logged = logs.lines().length;
    await syncUntilIdle();
    await expectReplica();
    const after = await readCheckpoints(local.db);
    for (const [table, checkpoint] of after) {
      expect(checkpoint.mode, table).toBe('delta');
      expect(BigInt(checkpoint.version) >= BigInt(before.get(table)!.version), table).toBe(true);
    }
    const lines = logs.lines().slice(logged);
    // Only the tables whose unread changes were dropped take a snapshot; the others were already past them. On
    // SQL Server the forced retention turns tracking off and on for every table (see forceRetention), which
    // leaves every checkpoint below the new minimum: all of them take one.
    const snapshots = lines.filter((line) => line.msg === 'snapshot finished; back to deltas').map((line) => line.table).sort();
    expect(snapshots).toEqual(local.db.dialect === 'mssql' ? [...before.keys()].sort() : ['operador', 'preco_loja', 'produto']);
    // And deltas go on from the snapshot's version.
    await central.exec(`UPDATE produto SET preco_base = '1.0000' WHERE produto_id = 3`);
    await syncUntilIdle();
    await expectReplica();
  });

  it('long-polls once every table is idle: a central change shows up locally within a fraction of the poll interval', async () => {
    await insertCatalog(central, 3);
    const polling = createPullWorker({
      config: workerConfig({ CENTRAL_API_URL: central.url, PULL_TABLES_FILE: BUNDLED_TABLES_FILE, PULL_LONG_POLL_MS: 10_000 }),
      db: local.db,
      logger: logs.sync.logger,
      health,
    });
    const stop = new AbortController();
    // The daemon's loop, with a poll interval far longer than what the test tolerates: only long-poll can win.
    const loop = (async () => {
      while (!stop.signal.aborted) {
        const outcome = await polling.runCycle(stop.signal);
        if (!outcome?.busy) await sleep(30_000, undefined, { signal: stop.signal }).catch(() => {});
      }
    })();
    try {
      await waitUntil(async () => (await countRows(local.db, 'produto')) === 3);
      for (const id of [10, 11, 12]) {
        // The change is made once the worker has found every table idle, i.e. while it waits in its long-poll.
        const seen = logs.lines().length;
        await waitUntil(async () => logs.lines().slice(seen).some((line) => line.msg === 'round done' && Array.isArray(line.idle)));
        const started = Date.now();
        await insertProduto(central, id);
        await waitUntil(async () => (await countRows(local.db, 'produto')) === id - 6);
        // Polling would take 30 s; long-poll takes well under a second, with room for a loaded machine.
        expect(Date.now() - started).toBeLessThan(8_000);
      }
    } finally {
      const stopping = Date.now();
      stop.abort();
      await loop;
      // A long-poll in flight is abandoned at once on shutdown.
      expect(Date.now() - stopping).toBeLessThan(2_000);
      await polling.stop?.();
    }
  });
});

async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
