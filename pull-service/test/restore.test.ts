import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChangesPage, DaemonWorker, SnapshotPage } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { applyDeltaPage } from '../src/apply/apply-delta-page.js';
import { applySnapshotPage } from '../src/apply/apply-snapshot-page.js';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { createPullWorker } from '../src/sync-pull.js';
import { dumpTable, expectSameCatalog, insertCatalog } from './support/catalog-data.js';
import { PDV, startCentral, type CentralRig } from './support/central-rig.js';
import { startPageServer } from './support/page-server.js';
import { createPdvDatabase, deltaCheckpoints, memoryLogger, newHealth, plannedTable, readCheckpoints, runUntilIdle, sqlFor, tableJob, workerConfig } from './support/pull-fixtures.js';

/**
 * The central database went back in time (a restore, a failover to a replica that had not received everything):
 * the PDV's rows may hold writes it lost, and its checkpoints are versions it may reuse. Every table is loaded
 * again, and the replica ends equal to the central database as it now is.
 */
describeBackends('pull after the central database was restored', (backend) => {
  let central: CentralRig;
  let local: TestDatabase;
  let logs: ReturnType<typeof memoryLogger>;
  let worker: DaemonWorker;

  beforeEach(async () => {
    central = await startCentral(backend);
    local = await createPdvDatabase(backend);
    logs = memoryLogger();
    worker = createPullWorker({ config: workerConfig({ CENTRAL_API_URL: central.url, PULL_TABLES_FILE: BUNDLED_TABLES_FILE, PULL_PAGE_SIZE: 4 }), db: local.db, logger: logs.sync.logger, health: newHealth() });
  });
  afterEach(async () => {
    await worker.stop?.();
    await logs.sync.close();
    await local.dispose();
    await central.close();
  });

  const expectReplica = () => expectSameCatalog(central.db, local.db, PDV.lojaId, (actual, expected, table) => expect(actual, table).toEqual(expected));
  /** A row the PDV got from the database before the restore, which the restored one no longer has. */
  const lostCentrally = (id: number) =>
    local.db.query(
      sqlFor(local.db, `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, ativo, criado_em, atualizado_em)
                        VALUES ($1, '7890000000999', 'perdido na restauração', 1, 'UN', '1.0000', ${local.db.dialect === 'mssql' ? '1' : 'true'}, '2026-01-01T00:00:00', '2026-01-01T00:00:00+00:00')`),
      [id],
    );

  it('a checkpoint above the current version (410 restored) is loaded again and converges', async () => {
    await insertCatalog(central, 8);
    await runUntilIdle(worker);
    // The database that served the PDV had gone further than the one now answering.
    await lostCentrally(900);
    const { version } = (await readCheckpoints(local.db)).get('produto')!;
    await local.db.query(sqlFor(local.db, `UPDATE sync_checkpoint SET version = CAST($2 AS bigint) WHERE table_name = $1`), ['produto', (BigInt(version) + 1_000_000n).toString()]);
    await central.exec(`UPDATE produto SET descricao = 'depois da restauração' WHERE produto_id = 2`);

    const logged = logs.lines().length;
    await runUntilIdle(worker);
    await expectReplica();
    expect((await dumpTable(local.db, 'produto')).map((row) => row.produto_id)).not.toContain(900);
    const reset = logs.lines().slice(logged).find((line) => line.table === 'produto' && line.reason === 'restored');
    expect(reset).toMatchObject({ msg: expect.stringContaining('starts again from a snapshot') });
    expect((await readCheckpoints(local.db)).get('produto')).toMatchObject({ mode: 'delta' });
  });

  it('a changed incarnation (an operator marked the restore) makes every table load again, and converges', async () => {
    await insertCatalog(central, 8);
    await runUntilIdle(worker);
    const before = await readCheckpoints(local.db);
    const incarnation = before.get('produto')!.incarnation;
    expect(incarnation).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (const checkpoint of before.values()) expect(checkpoint.incarnation).toBe(incarnation);

    await lostCentrally(901);
    await central.exec(`DELETE FROM preco_loja WHERE produto_id = 3`);
    await central.markRestore('restored from the backup of 02:00');

    const logged = logs.lines().length;
    await runUntilIdle(worker);
    await expectReplica();
    const lines = logs.lines().slice(logged);
    expect(lines.filter((line) => line.msg === 'snapshot finished; back to deltas').map((line) => line.table).sort()).toEqual([...before.keys()].sort());
    const after = await readCheckpoints(local.db);
    for (const [table, checkpoint] of after) {
      expect(checkpoint.mode, table).toBe('delta');
      expect(checkpoint.incarnation, table).not.toBe(incarnation);
    }
    // And deltas go on in the new incarnation.
    await central.exec(`UPDATE produto SET preco_base = '3.0000' WHERE produto_id = 4`);
    await runUntilIdle(worker);
    await expectReplica();
  });
});

describeBackends('pull notices another incarnation in the pages themselves', (backend) => {
  let local: TestDatabase;
  beforeEach(async () => {
    local = await createPdvDatabase(backend);
  });
  afterEach(async () => local.dispose());

  const columns = [{ name: 'categoria_id', type: 'int' }, { name: 'nome', type: 'string' }, { name: 'ativa', type: 'bool' }] as ChangesPage['columns'];
  const step = { signal: new AbortController().signal, mayWaitForParents: false };

  it('a page of changes from another incarnation, and a snapshot whose pages change incarnation, start the table again', async () => {
    const server = await startPageServer();
    try {
      await deltaCheckpoints(local.db, ['categoria'], '10');
      await local.db.query(sqlFor(local.db, `UPDATE sync_checkpoint SET incarnation = 'loaded-from-A' WHERE table_name = $1`), ['categoria']);
      const planned = await plannedTable(local.db, 'categoria');
      // A job per step: a page with more to come has its next page fetched ahead, from whatever this server answers
      // at that moment; a fresh job never takes such a page, so each step sees the answer set just before it.
      const job = () => tableJob(local.db, planned, server);
      const read = async () => (await readCheckpoints(local.db)).get('categoria')!;

      const changes: ChangesPage = { table: 'categoria', sinceVersion: '10', toVersion: '12', keyColumns: ['categoria_id'], columns, changes: [], hasMore: false, nextCursor: null };
      server.answerWith(changes, { 'sync-incarnation': 'loaded-from-A', 'sync-token': 'v1.1.x.y' });
      expect(await applyDeltaPage(job(), await read(), step)).toMatchObject({ kind: 'idle' });
      expect(await read()).toMatchObject({ mode: 'delta', version: '12', incarnation: 'loaded-from-A' });

      server.answerWith(changes, { 'sync-incarnation': 'now-B', 'sync-token': 'v1.1.x.y' });
      expect(await applyDeltaPage(job(), await read(), step)).toMatchObject({ kind: 'snapshot-started', reason: expect.stringContaining('restored or failed over') });
      expect(await read()).toMatchObject({ mode: 'snapshot', version: '12', syncToken: null, incarnation: null });

      const page = (hasMore: boolean, id: number): SnapshotPage => ({
        table: 'categoria', snapshotVersion: '20', keyColumns: ['categoria_id'], columns, rows: [{ categoria_id: id, nome: `C${id}`, ativa: true }], hasMore, nextCursor: hasMore ? `cursor-${id}` : null,
      });
      server.answerWith(page(true, 1), { 'sync-incarnation': 'now-B' });
      expect(await applySnapshotPage(job(), await read(), step)).toMatchObject({ kind: 'progress' });
      expect(await read()).toMatchObject({ mode: 'snapshot', incarnation: 'now-B', snapshotCursor: 'cursor-1' });
      // The next page comes from yet another incarnation: the snapshot starts again, from its first page.
      server.answerWith(page(false, 2), { 'sync-incarnation': 'then-C', 'sync-token': 'v1.1.c.c' });
      expect(await applySnapshotPage(job(), await read(), step)).toMatchObject({ kind: 'snapshot-started' });
      expect(await read()).toMatchObject({ mode: 'snapshot', snapshotCursor: null, incarnation: null });
      server.answerWith(page(false, 2), { 'sync-incarnation': 'then-C', 'sync-token': 'v1.1.c.c' });
      expect(await applySnapshotPage(job(), await read(), step)).toMatchObject({ kind: 'progress' });
      expect(await read()).toMatchObject({ mode: 'delta', version: '20', incarnation: 'then-C', syncToken: 'v1.1.c.c' });
      expect((await dumpTable(local.db, 'categoria')).map((row) => row.categoria_id)).toEqual([2]);
    } finally {
      await server.close();
    }
  });
});
