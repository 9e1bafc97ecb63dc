import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChangesPage, DaemonWorker } from '@goldpdv/core';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { createPullWorker } from '../src/sync-pull.js';
import { PRODUTO_COLUMNS, countRows, createPdvDatabase, deltaCheckpoints, memoryLogger, newHealth, produtoRow, readCheckpoints, workerConfig } from './support/pull-fixtures.js';

type Answer = { status: number; body: string } | 'reset-connection' | 'hang';

/**
 * A hostile central API: a real HTTP server on loopback that answers categoria correctly and produto with
 * whatever the test sets. pull-service must report produto as failing, clearly, and keep categoria going.
 */
function startHostileServer(produto: () => Answer): Promise<{ server: Server; url: string }> {
  const categoria = (since: string): ChangesPage => ({
    table: 'categoria', sinceVersion: since, toVersion: '5', keyColumns: ['categoria_id'],
    columns: [{ name: 'categoria_id', type: 'int' }, { name: 'nome', type: 'string' }, { name: 'ativa', type: 'bool' }],
    changes: since === '0' ? [1, 2].map((id) => ({ op: 'upsert' as const, version: '4', key: { categoria_id: id }, row: { categoria_id: id, nome: `Categoria ${id}`, ativa: true } })) : [],
    hasMore: false, nextCursor: null,
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (answer: Answer) => {
      if (answer === 'reset-connection') return req.socket.destroy();
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    };
    if (url.pathname === '/v1/tables') return send({ status: 404, body: '{}' });
    const table = url.searchParams.get('table');
    if (table === 'categoria') return send({ status: 200, body: JSON.stringify(categoria(url.searchParams.get('since') ?? '0')) });
    if (table === 'produto') return send(produto());
    send({ status: 404, body: '{"title":"unknown table"}' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

const goodPage = (): ChangesPage => ({
  table: 'produto', sinceVersion: '0', toVersion: '9', keyColumns: ['produto_id'], columns: [...PRODUTO_COLUMNS],
  changes: [{ op: 'upsert', version: '8', key: { produto_id: 1 }, row: produtoRow(1) }], hasMore: false, nextCursor: null,
});
const json = (page: unknown): Answer => ({ status: 200, body: JSON.stringify(page) });

describeBackends('malformed pages from a hostile central API', (backend) => {
  let local: TestDatabase;
  let dir: string;
  let answer: () => Answer;
  let hostile: { server: Server; url: string };
  let worker: DaemonWorker;
  let logs: ReturnType<typeof memoryLogger>;
  let health: ReturnType<typeof newHealth>;

  beforeEach(async () => {
    local = await createPdvDatabase(backend);
    // Both tables have been loaded before: what is under test is their delta pages.
    await deltaCheckpoints(local.db, ['categoria', 'produto']);
    dir = await mkdtemp(join(tmpdir(), 'gp-hostile-'));
    await writeFile(join(dir, 'tables.json'), JSON.stringify({ tables: [{ table: 'categoria' }, { table: 'produto', dependsOn: ['categoria'] }] }));
    hostile = await startHostileServer(() => answer());
    logs = memoryLogger();
    health = newHealth();
    worker = createPullWorker({ config: workerConfig({ CENTRAL_API_URL: hostile.url, PULL_TABLES_FILE: join(dir, 'tables.json'), PULL_RESPONSE_TIMEOUT_MS: 1_000 }), db: local.db, logger: logs.sync.logger, health });
  });
  afterEach(async () => {
    await worker.stop?.();
    hostile.server.closeAllConnections();
    await new Promise((resolve) => hostile.server.close(resolve));
    await logs.sync.close();
    await local.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, () => Answer, string]>([
    ['bad JSON', () => ({ status: 200, body: '{"table":"produto","changes":[' }), 'the changes page of table produto is not valid JSON'],
    ['a wrong shape', () => json({ ...goodPage(), changes: [{ op: 'replace', key: {} }] }), 'the changes page of table produto does not follow the contract: changes[0].op'],
    ['a version that is not a number', () => json({ ...goodPage(), toVersion: 9 }), 'the changes page of table produto does not follow the contract: toVersion'],
    ['the wrong table', () => json({ ...goodPage(), table: 'cliente' }), 'table produto: asked for table produto, the central API answered with a page of table "cliente"'],
    ['a key column missing', () => json({ ...goodPage(), changes: [{ op: 'delete', version: '8', key: { id: 1 } }] }), 'table produto: changes[0]: key column "produto_id" is missing'],
    ['a row without a column', () => json({ ...goodPage(), changes: [{ op: 'upsert', version: '8', key: { produto_id: 1 }, row: { ...produtoRow(1), preco_base: undefined } }] }), 'table produto: changes[0] (key {"produto_id":1}): the row has no value for column "preco_base"'],
    ['a 400 problem', () => ({ status: 400, body: '{"title":"Bad request","detail":"since is not a version"}' }), 'central API answered 400 Bad request: since is not a version for table produto'],
  ])('%s: produto is reported failing with a clear reason, categoria goes on', async (_name, produto, reason) => {
    answer = produto;
    await worker.runCycle(new AbortController().signal);
    const ready = health.readiness();
    expect(ready.info.failingTables).toBe('produto');
    expect(ready.degraded['table:produto']?.detail).toContain(reason);
    expect(ready.degraded['central-api']).toBeUndefined();
    expect(await countRows(local.db, 'categoria')).toBe(2);
    expect(await countRows(local.db, 'produto')).toBe(0);
    const checkpoints = await readCheckpoints(local.db);
    expect(checkpoints.get('categoria')).toMatchObject({ version: '5', lastError: null });
    expect(checkpoints.get('produto')).toMatchObject({ version: '0', lastError: expect.stringContaining(reason) });
    expect(logs.lines().find((line) => line.level === 'error')).toMatchObject({ table: 'produto', msg: 'table is failing; its checkpoint does not move', reason: expect.stringContaining(reason) });

    // Once the server sends a good page, the table recovers on its own, as soon as its (5 ms at most) backoff allows.
    answer = () => json(goodPage());
    const deadline = Date.now() + 10_000;
    while (health.readiness().info.failingTables !== '' && Date.now() < deadline) {
      await worker.runCycle(new AbortController().signal);
      if (health.readiness().info.failingTables !== '') await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(health.readiness().info.failingTables).toBe('');
    expect(await countRows(local.db, 'produto')).toBe(1);
  });

  it("a window's later page that ends elsewhere than the window is refused: the checkpoint keeps the window's cursor until a right page comes", async () => {
    const firstPage: ChangesPage = { ...goodPage(), hasMore: true, nextCursor: 'c1' };
    const laterPage = (toVersion: string): ChangesPage => ({ ...goodPage(), toVersion, changes: [{ op: 'upsert', version: '7', key: { produto_id: 2 }, row: produtoRow(2) }] });
    let pages = 0;
    let wrongEnd = true;
    answer = () => (pages++ === 0 ? json(firstPage) : json(laterPage(wrongEnd ? '12' : '9')));
    await worker.runCycle(new AbortController().signal);
    const reason = 'a later page of the window 0..9 ends at version 12';
    expect(health.readiness().degraded['table:produto']?.detail).toContain(reason);
    expect(await countRows(local.db, 'produto')).toBe(1);
    expect((await readCheckpoints(local.db)).get('produto')).toMatchObject({ version: '0', deltaCursor: 'c1', deltaToVersion: '9' });

    wrongEnd = false;
    const deadline = Date.now() + 10_000;
    while (health.readiness().info.failingTables !== '' && Date.now() < deadline) {
      await worker.runCycle(new AbortController().signal);
      if (health.readiness().info.failingTables !== '') await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(health.readiness().info.failingTables).toBe('');
    expect(await countRows(local.db, 'produto')).toBe(2);
    expect((await readCheckpoints(local.db)).get('produto')).toMatchObject({ version: '9', deltaCursor: null });
  });

  it('a row the local database refuses holds produto under stop-table: recorded, its reason the table\'s last error, the good row in', async () => {
    const page = goodPage();
    answer = () => json({ ...page, changes: [
      { op: 'upsert', version: '8', key: { produto_id: 1 }, row: produtoRow(1, { codigo_barras: '789000000000011' }) }, // 15 characters into varchar(14)
      { op: 'upsert', version: '8', key: { produto_id: 2 }, row: produtoRow(2) },
    ] });
    await worker.runCycle(new AbortController().signal);
    const reason = /^stop-table: 1 row\(s\) refused; first: key \{"produto_id":1\} column codigo_barras: /;
    const ready = health.readiness();
    expect(ready.info.failingTables).toBe('produto');
    expect(ready.degraded['table:produto']?.detail).toMatch(reason);
    expect(await countRows(local.db, 'produto')).toBe(1);
    expect((await local.db.query('SELECT row_key FROM sync_rejected_row')).rows).toEqual([{ row_key: '{"produto_id":1}' }]);
    const checkpoint = (await readCheckpoints(local.db)).get('produto')!;
    expect(checkpoint).toMatchObject({ version: '0', lastError: expect.stringMatching(reason) });
    expect(logs.lines().find((line) => line.level === 'error' && line.msg === 'row refused by the local database; recorded in sync_rejected_row')).toMatchObject({ table: 'produto', key: '{"produto_id":1}', column: 'codigo_barras' });
  });

  it.each<[string, () => Answer, RegExp]>([
    ['503', () => ({ status: 503, body: '{"title":"Service unavailable","detail":"database down"}' }), /central API answered 503 Service unavailable: database down/],
    ['429', () => ({ status: 429, body: '' }), /central API answered 429/],
    ['a reset connection', () => 'reset-connection', /central API unreachable: request failed: ECONNRESET|socket hang up/],
    ['an answer that never comes', () => 'hang', /central API unreachable: no complete answer within 1000 ms/],
  ])('%s is the central API being unavailable: degraded, no table failing, nothing moved', async (_name, produto, detail) => {
    answer = produto;
    await worker.runCycle(new AbortController().signal);
    const ready = health.readiness();
    expect(ready.degraded['central-api']?.detail).toMatch(detail);
    expect(ready.info.failingTables).toBe('');
    expect((await readCheckpoints(local.db)).get('produto')).toMatchObject({ version: '0', lastError: null });
  });
});
