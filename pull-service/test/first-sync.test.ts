import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { DaemonWorker, SnapshotPage } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { applyDeltaPage } from '../src/apply/apply-delta-page.js';
import { applySnapshotPage } from '../src/apply/apply-snapshot-page.js';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { createPullWorker } from '../src/sync-pull.js';
import { dumpTable, expectSameCatalog, insertCatalog } from './support/catalog-data.js';
import { PDV, startCentral, type CentralRig } from './support/central-rig.js';
import { startPageServer } from './support/page-server.js';
import { createPdvDatabase, memoryLogger, newHealth, plannedTable, readCheckpoints, runUntilIdle, sqlFor, storesOf, tableJob, workerConfig } from './support/pull-fixtures.js';

const insertOperadores = (central: CentralRig, ids: readonly number[]) =>
  Promise.all(ids.map((id) => central.exec('INSERT INTO operador (operador_id, nome, login, ativo) VALUES ($1, $2, $3, true)', [id, `Operador ${id}`, `op${id}`])));

/**
 * A table's first sync loads its initial data from a snapshot: Change Tracking from version 0 only holds what
 * changed after tracking began, so rows that were already there would never arrive through deltas.
 */
describeBackends('first sync: the initial data comes from a snapshot', (backend) => {
  let central: CentralRig;
  let local: TestDatabase;
  let logs: ReturnType<typeof memoryLogger>;
  let dir: string;
  const workers: DaemonWorker[] = [];

  beforeEach(async () => {
    central = await startCentral(backend);
    local = await createPdvDatabase(backend);
    logs = memoryLogger();
    dir = await mkdtemp(join(tmpdir(), 'gp-first-sync-'));
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop?.();
    await logs.sync.close();
    await local.dispose();
    await central.close();
    await rm(dir, { recursive: true, force: true });
  });

  const worker = (tablesFile = BUNDLED_TABLES_FILE): DaemonWorker => {
    const created = createPullWorker({ config: workerConfig({ CENTRAL_API_URL: central.url, PULL_TABLES_FILE: tablesFile, PULL_PAGE_SIZE: 3 }), db: local.db, logger: logs.sync.logger, health: newHealth() });
    workers.push(created);
    return created;
  };
  const expectReplica = () => expectSameCatalog(central.db, local.db, PDV.lojaId, (actual, expected, table) => expect(actual, table).toEqual(expected));

  it('a new PDV gets every row, those written before tracking began included', async () => {
    await insertCatalog(central, 10);
    await central.writeUntracked('operador', ['operador_id'], () => insertOperadores(central, [10, 11, 12, 13]));
    await runUntilIdle(worker());
    await expectReplica();
    expect((await dumpTable(local.db, 'operador')).map((row) => row.operador_id)).toEqual([1, 2, 10, 11, 12, 13]);
    const checkpoints = await readCheckpoints(local.db);
    for (const [table, checkpoint] of checkpoints) {
      expect(checkpoint.mode, table).toBe('delta');
      expect(checkpoint.syncToken, table).toMatch(/^v1\./);
    }
    // Every table began with its snapshot, and none went through a reset.
    const lines = logs.lines();
    expect(lines.filter((line) => line.msg === 'snapshot finished; back to deltas').map((line) => line.table).sort()).toEqual([...checkpoints.keys()].sort());
    expect(lines.some((line) => typeof line.msg === 'string' && line.msg.includes('starts again from a snapshot'))).toBe(false);
  });

  it('a table new in the mapping starts with a snapshot, while the others go on with deltas', async () => {
    await insertCatalog(central, 4);
    const without = join(dir, 'without-operador.json');
    await writeFile(without, JSON.stringify({ tables: [{ table: 'categoria' }, { table: 'produto', dependsOn: ['categoria'] }] }));
    await runUntilIdle(worker(without));
    await central.writeUntracked('operador', ['operador_id'], () => insertOperadores(central, [20, 21]));
    const produtoBefore = (await readCheckpoints(local.db)).get('produto')!;

    const logged = logs.lines().length;
    await runUntilIdle(worker());
    await expectReplica();
    const started = logs.lines().slice(logged).filter((line) => line.msg === 'snapshot started').map((line) => line.table).sort();
    // Those pulled for the first time now; produto and categoria keep their checkpoints.
    expect(started).toEqual(['cliente', 'estoque', 'forma_pagamento', 'loja', 'operador', 'preco_loja']);
    expect((await readCheckpoints(local.db)).get('produto')!.syncToken).toBe(produtoBefore.syncToken);
  });

  it('an old checkpoint without a Sync-Token is sent to a snapshot (410) and gets back the rows it had missed', async () => {
    await central.writeUntracked('operador', ['operador_id'], () => insertOperadores(central, [30, 31, 32]));
    // What an earlier release left behind: operador "synced" by deltas from 0, which returned none of the three,
    // and its checkpoint moved on to the central version without them.
    await storesOf(local.db).checkpoints.ensure(local.db, ['operador']);
    await local.db.query(sqlFor(local.db, `UPDATE sync_checkpoint SET mode = 'delta', version = 1, sync_token = NULL WHERE table_name = $1`), ['operador']);
    await runUntilIdle(worker());
    expect((await dumpTable(local.db, 'operador')).map((row) => row.operador_id)).toEqual([30, 31, 32]);
    expect(logs.lines().find((line) => line.table === 'operador' && line.reason === 'initial-data')).toMatchObject({
      level: 'warn',
      msg: expect.stringContaining('the table starts again from a snapshot'),
    });
    expect((await readCheckpoints(local.db)).get('operador')).toMatchObject({ mode: 'delta', syncToken: expect.stringMatching(/^v1\./) });
  });
});

describeBackends('first sync: a snapshot taken at version 0', (backend) => {
  let local: TestDatabase;
  beforeEach(async () => {
    local = await createPdvDatabase(backend);
  });
  afterEach(async () => local.dispose());

  it('goes on with deltas from 0, carrying its token, and never loops back into a snapshot', async () => {
    // On SQL Server, a snapshot read while Change Tracking's version is still 0 (tracking just enabled, nothing
    // committed since) has snapshotVersion 0: the table's checkpoint is then 0, as a table never loaded used to be.
    const server = await startPageServer();
    try {
      await storesOf(local.db).checkpoints.ensure(local.db, ['categoria']);
      const planned = await plannedTable(local.db, 'categoria');
      const job = tableJob(local.db, planned, server);
      const columns = [{ name: 'categoria_id', type: 'int' }, { name: 'nome', type: 'string' }, { name: 'ativa', type: 'bool' }] as const;
      const snapshot: SnapshotPage = {
        table: 'categoria', snapshotVersion: '0', keyColumns: ['categoria_id'], columns: [...columns],
        rows: [{ categoria_id: 1, nome: 'Bebidas', ativa: true }], hasMore: false, nextCursor: null,
      };
      server.answerWith(snapshot, { 'sync-token': 'v1.1.snapshot-at-zero.proof' });
      const step = { signal: new AbortController().signal, mayWaitForParents: false };
      const read = async () => (await readCheckpoints(local.db)).get('categoria')!;
      expect(await read()).toMatchObject({ mode: 'snapshot', version: '0' });
      expect(await applySnapshotPage(job, await read(), step)).toMatchObject({ kind: 'progress' });
      expect(await read()).toMatchObject({ mode: 'delta', version: '0', syncToken: 'v1.1.snapshot-at-zero.proof' });

      server.answerWith({ table: 'categoria', sinceVersion: '0', toVersion: '0', keyColumns: ['categoria_id'], columns: [...columns], changes: [], hasMore: false, nextCursor: null });
      for (let round = 0; round < 3; round++) expect(await applyDeltaPage(job, await read(), step)).toMatchObject({ kind: 'idle' });
      expect(await read()).toMatchObject({ mode: 'delta', version: '0', syncToken: 'v1.1.snapshot-at-zero.proof' });
      const deltas = server.requests.filter((request) => request.url.startsWith('/v1/changes'));
      expect(deltas).toHaveLength(3);
      for (const request of deltas) {
        expect(request.url).toContain('since=0');
        expect(request.headers['sync-token']).toBe('v1.1.snapshot-at-zero.proof');
      }
      expect(server.requests.filter((request) => request.url.startsWith('/v1/snapshot'))).toHaveLength(1);
      expect(await dumpTable(local.db, 'categoria')).toEqual([{ categoria_id: 1, nome: 'Bebidas', ativa: true }]);
    } finally {
      await server.close();
    }
  });
});
