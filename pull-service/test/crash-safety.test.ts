import { afterEach, beforeEach, expect, it } from 'vitest';
import type { DaemonWorker } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { createPullWorker } from '../src/sync-pull.js';
import { dumpTable, expectSameCatalog, insertCatalog } from './support/catalog-data.js';
import { PDV, startCentral, type CentralRig } from './support/central-rig.js';
import { observe, type ObservedDatabase } from './support/observed-database.js';
import { countRows, createPdvDatabase, memoryLogger, newHealth, readCheckpoints, runUntilIdle, workerConfig } from './support/pull-fixtures.js';

class Killed extends Error {}

/**
 * A process that dies inside a page's transaction is stood for by a statement that throws there: the
 * transaction rolls back, exactly as the database does when the connection drops. Then a fresh worker (a
 * restarted process, with nothing in memory) carries on from what was committed.
 */
describeBackends('crash safety of pages and checkpoints', (backend) => {
  let central: CentralRig;
  let local: TestDatabase;
  let observed: ObservedDatabase;
  let logs: ReturnType<typeof memoryLogger>;
  const workers: DaemonWorker[] = [];
  const signal = new AbortController().signal;

  beforeEach(async () => {
    central = await startCentral(backend);
    local = await createPdvDatabase(backend);
    observed = observe(local.db);
    logs = memoryLogger();
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop?.();
    await logs.sync.close();
    await local.dispose();
    await central.close();
  });

  const startWorker = (pageSize = 7): DaemonWorker => {
    const worker = createPullWorker({
      config: workerConfig({ CENTRAL_API_URL: central.url, PULL_TABLES_FILE: BUNDLED_TABLES_FILE, PULL_PAGE_SIZE: pageSize }),
      db: observed,
      logger: logs.sync.logger,
      health: newHealth(),
    });
    workers.push(worker);
    return worker;
  };
  const produtoCheckpoint = async () => (await readCheckpoints(local.db)).get('produto')!;

  it('dying anywhere inside a delta page\'s transaction moves nothing: no row, no checkpoint; the restart applies each row once', async () => {
    // The first sync takes a snapshot of each (still empty) table; the pages under test are the deltas after it.
    await runUntilIdle(startWorker(50));
    const loaded = await produtoCheckpoint();
    expect(loaded).toMatchObject({ mode: 'delta', rowsApplied: '0' });
    await insertCatalog(central, 12);
    const dyingPoints = [
      (sql: string) => /^(INSERT INTO "produto"|MERGE dbo\.\[produto\])/.test(sql),
      (sql: string, params: readonly unknown[]) => /^UPDATE (dbo\.)?sync_checkpoint\s+SET version/.test(sql) && params[0] === 'produto',
    ];
    for (const dieHere of dyingPoints) {
      observed.beforeStatement = (sql, params) => {
        if (dieHere(sql.trim(), params)) throw new Killed('killed inside the page transaction');
      };
      const dying = startWorker(50);
      for (let cycle = 0; cycle < 3; cycle++) await dying.runCycle(signal);
      expect(await countRows(local.db, 'produto')).toBe(0);
      expect(await produtoCheckpoint()).toMatchObject({ version: loaded.version, rowsApplied: '0', deltaCursor: null });
    }
    observed.beforeStatement = null;
    await runUntilIdle(startWorker(50));
    expect(await countRows(local.db, 'produto')).toBe(12);
    expect((await produtoCheckpoint()).rowsApplied).toBe('12');
  });

  it('a snapshot that dies in the middle resumes from its stored cursor, not from zero, and deletes what is gone', async () => {
    await insertCatalog(central, 60);
    await runUntilIdle(startWorker());
    const appliedBefore = BigInt((await produtoCheckpoint()).rowsApplied);

    // Offline: products deleted here and there (their prices first), one changed; then retention drops the log.
    await central.exec('DELETE FROM preco_loja WHERE produto_id IN (3, 31, 59)');
    await central.exec('DELETE FROM produto WHERE produto_id IN (3, 4, 31, 32, 59, 60)');
    await central.exec(`UPDATE produto SET descricao = 'mudou' WHERE produto_id = 40`);
    await central.forceRetention();
    const centralProdutos = (await dumpTable(central.db, 'produto')).length;

    let snapshotPagesSaved = 0;
    observed.beforeStatement = (sql, params) => {
      if (/SET snapshot_version/.test(sql) && params[0] === 'produto' && ++snapshotPagesSaved === 4) throw new Killed('killed while saving the 4th snapshot page');
    };
    const dying = startWorker();
    for (let cycle = 0; cycle < 20 && snapshotPagesSaved < 4; cycle++) await dying.runCycle(signal);
    expect(snapshotPagesSaved).toBe(4);
    const midway = await produtoCheckpoint();
    expect(midway).toMatchObject({ mode: 'snapshot', snapshotLastKey: { produto_id: 23 } }); // 3 pages of 7, without 3 and 4
    expect(midway.snapshotCursor).not.toBeNull();
    // Three pages are in: the rows deleted centrally below the last key are gone (or, while a local price still
    // refers to them, pending), those above are still here.
    const ids = (await dumpTable(local.db, 'produto')).map((row) => row.produto_id);
    expect(ids).not.toContain(4);
    if (ids.includes(3)) expect(midway.pendingDeletes).toEqual([{ produto_id: '3' }]);
    expect(ids).toContain(31);
    expect(ids).toContain(59);

    observed.beforeStatement = null;
    await runUntilIdle(startWorker());
    await expectSameCatalog(central.db, local.db, PDV.lojaId, (actual, expected, table) => expect(actual, table).toEqual(expected));
    // Every snapshot row was counted exactly once: pages before the crash were not applied again.
    expect(BigInt((await produtoCheckpoint()).rowsApplied) - appliedBefore).toBe(BigInt(centralProdutos));
    expect(await produtoCheckpoint()).toMatchObject({ mode: 'delta', snapshotCursor: null, pendingDeletes: [] });
  });
});
