import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { DaemonWorker } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { BUNDLED_TABLES_FILE } from '../src/config.js';
import { createPullWorker } from '../src/sync-pull.js';
import { expectSameCatalog, insertCatalog, insertProduto } from './support/catalog-data.js';
import { PDV, startCentral, type CentralRig } from './support/central-rig.js';
import { createPdvDatabase, memoryLogger, newHealth, readCheckpoints, workerConfig } from './support/pull-fixtures.js';
import type { HealthState } from '@goldpdv/core';

/**
 * What a change costs a PDV: the wait that names the changed table carries its page, which the round applies
 * without reading any table, and after a quiet wait it reads none, until the periodic full round. A recording proxy on loopback sits between
 * the real worker and the real central API and notes each request's path and table.
 */
describeBackends('a round reads only what the wait named', (backend) => {
  let central: CentralRig;
  let local: TestDatabase;
  let worker: DaemonWorker;
  let logs: ReturnType<typeof memoryLogger>;
  let health: HealthState;
  let proxy: Server;
  const seen: string[] = [];
  const signal = new AbortController().signal;

  beforeEach(async () => {
    central = await startCentral(backend);
    const target = new URL(central.url);
    proxy = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      // A wait that asks for pages, as one request or as the change stream (opened again after each quiet one).
      const waitWithPages = (url.pathname === '/v1/changes/wait' || url.pathname === '/v1/changes/stream') && url.searchParams.has('limit');
      seen.push(url.pathname === '/v1/changes' ? `changes:${url.searchParams.get('table')}` : waitWithPages ? 'wait with pages' : url.pathname);
      const forward = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    local = await createPdvDatabase(backend);
    logs = memoryLogger();
    health = newHealth();
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    worker = createPullWorker({
      config: workerConfig({ CENTRAL_API_URL: url, PULL_TABLES_FILE: BUNDLED_TABLES_FILE, PULL_LONG_POLL_MS: 1_500 }),
      db: local.db,
      logger: logs.sync.logger,
      health,
    });
  });
  afterEach(async () => {
    await worker.stop?.();
    await new Promise((resolve) => proxy.close(resolve));
    await logs.sync.close();
    await local.dispose();
    await central.close();
  });

  it('applies the page a wake carries, reads no table after a quiet wait, and every table on the first round', async () => {
    await insertCatalog(central, 5);
    // The first rounds read every table, then the worker waits (1.5 s) with nothing new: a quiet wait.
    for (let cycle = 0; cycle < 50 && !seen.includes('wait with pages'); cycle++) await worker.runCycle(signal);
    const tablesRead = new Set(seen.filter((entry) => entry.startsWith('changes:') || entry === '/v1/snapshot'));
    expect(tablesRead.size).toBeGreaterThan(3);

    // After the quiet wait: a round that asks no table, then the next wait. The quiet wait counts as a success of
    // every table it covered: their status does not go stale (the fleet view's lag reads it).
    const lastSuccess = () => health.readiness().info['table.cliente.lastSuccessAt'] as string;
    const before = lastSuccess();
    expect(before).toEqual(expect.any(String));
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen.length = 0;
    await worker.runCycle(signal);
    expect(seen.filter((entry) => entry.startsWith('changes:'))).toEqual([]);
    expect(seen).toContain('wait with pages');
    expect(Date.parse(lastSuccess())).toBeGreaterThan(Date.parse(before));

    // A change to one table while the worker waits: its page comes with the wait's answer, and the round after
    // the wake applies it without asking any table again; its page takes the table to its window's end, so the
    // next wait reads on from the same open stream: no request at all, not even a wait.
    seen.length = 0;
    const cycle = worker.runCycle(signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await insertProduto(central, 90);
    await cycle;
    const afterWake = seen.length;
    await worker.runCycle(signal);
    expect(seen.slice(afterWake).filter((entry) => entry.startsWith('changes:') || entry.includes('wait'))).toEqual([]);
    await expectSameCatalog(central.db, local.db, PDV.lojaId, (actual, expected, table) => expect(actual, table).toEqual(expected));
    for (let more = 0; more < 5; more++) await worker.runCycle(signal);
    expect(seen.filter((entry) => entry.startsWith('changes:'))).toEqual([]);
  }, 120_000);

  it('after a quiet wait, still steps a table that holds deletes back, so they go once the local rows referring to them do', async () => {
    await insertCatalog(central, 5);
    await insertProduto(central, 91);
    const settle = async (except: string[] = []) => {
      for (let cycle = 0; cycle < 50; cycle++) {
        seen.length = 0;
        await worker.runCycle(signal);
        // A round that asked no table (but those named) came after a quiet wait.
        if (seen.includes('wait with pages') && !seen.some((entry) => entry.startsWith('changes:') && !except.includes(entry))) return;
      }
      throw new Error('the worker never settled into quiet waits');
    };
    await settle();
    // A price of product 91 that this PDV still holds, as if its central delete had not been pulled yet (the
    // central side has none): product 91's central delete is then held back as a pending delete.
    await local.db.executeScript(`CREATE TEMP TABLE price_91 AS SELECT * FROM preco_loja LIMIT 1;
UPDATE price_91 SET produto_id = 91;
INSERT INTO preco_loja SELECT * FROM price_91;
DROP TABLE price_91;`);
    await central.exec('DELETE FROM produto WHERE produto_id = 91');
    const held = async () => (await readCheckpoints(local.db)).get('produto')!.pendingDeletes.length;
    for (let cycle = 0; cycle < 50 && (await held()) === 0; cycle++) await worker.runCycle(signal);
    expect(await held()).toBe(1);
    await settle(['changes:produto']);
    const produto91 = async () => (await local.db.query('SELECT produto_id FROM produto WHERE produto_id = 91')).rows.length;
    expect(await produto91()).toBe(1);

    await local.db.query('DELETE FROM preco_loja WHERE produto_id = 91');
    await worker.runCycle(signal);
    expect(await produto91()).toBe(0);
    expect(await held()).toBe(0);
    await expectSameCatalog(central.db, local.db, PDV.lojaId, (actual, expected, table) => expect(actual, table).toEqual(expected));
  }, 120_000);
});
