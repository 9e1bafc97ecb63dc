import { gunzipSync } from 'node:zlib';
import { changesPageSchema, tablesResponseSchema, type ChangesPage } from '@goldpdv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertProdutos, insertProdutosTogether } from './deltas-fixtures.js';

describeBackends('GET /v1/changes: net changes, paging, parameters', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend);
  });
  afterAll(async () => rig?.close());

  it('lists the served tables parents first, with their keys and filters', async () => {
    const response = await rig.get('/v1/tables');
    expect(response.status).toBe(200);
    const body = tablesResponseSchema.parse(response.json);
    expect(body.tables.map((t) => t.table)).toEqual(['categoria', 'loja', 'forma_pagamento', 'operador', 'cliente', 'produto', 'preco_loja', 'estoque']);
    expect(body.tables.find((t) => t.table === 'estoque')).toEqual({ table: 'estoque', keyColumns: ['loja_id', 'produto_id'], filtered: true });
    expect(body.tables.find((t) => t.table === 'preco_loja')).toEqual({ table: 'preco_loja', keyColumns: ['loja_id', 'produto_id'], filtered: true });
    expect(body.tables.find((t) => t.table === 'produto')).toEqual({ table: 'produto', keyColumns: ['produto_id'], filtered: false });
  });

  it('returns net changes: the latest state per key, and one tombstone for a row inserted, updated and deleted', async () => {
    const since = await rig.checkpoint('produto');
    await insertProdutos(rig, [1, 2, 3, 4]);
    await rig.exec('UPDATE produto SET descricao = $1 WHERE produto_id = $2', ['Produto 1 novo', 1]);
    await rig.exec('DELETE FROM produto WHERE produto_id = $1', [2]);
    await rig.exec('UPDATE produto SET descricao = $1 WHERE produto_id = $2', ['Produto 4 novo', 4]);
    await rig.exec('DELETE FROM produto WHERE produto_id = $1', [4]);

    const { changes, toVersion } = await rig.drainChanges('produto', since);
    const byKey = new Map(changes.map((c) => [Number(c.key.produto_id), c]));
    expect(changes).toHaveLength(4);
    expect(byKey.get(1)).toMatchObject({ op: 'upsert', key: { produto_id: 1 }, row: { produto_id: 1, descricao: 'Produto 1 novo' } });
    expect(byKey.get(2)).toEqual({ op: 'delete', version: expect.any(String), key: { produto_id: 2 } });
    expect(byKey.get(3)).toMatchObject({ op: 'upsert', row: { descricao: 'Produto 3' } });
    expect(byKey.get(4)).toEqual({ op: 'delete', version: expect.any(String), key: { produto_id: 4 } });
    expect(BigInt(toVersion)).toBeGreaterThan(BigInt(since));

    // From the new checkpoint nothing is left, and the checkpoint does not move back.
    const again = await rig.drainChanges('produto', toVersion);
    expect(again.changes).toEqual([]);
    expect(BigInt(again.toVersion)).toBeGreaterThanOrEqual(BigInt(toVersion));
  });

  it('pages by (version, key) with small limits and serves every change exactly once', async () => {
    const since = await rig.checkpoint('produto');
    const groups = [[110, 105, 101], [120], [131, 132, 133, 134, 135], [140, 141]];
    for (const group of groups) await insertProdutosTogether(rig, group);
    await rig.exec('UPDATE produto SET preco_base = $1 WHERE produto_id = $2', ['11.2500', 105]);
    const expected = groups.flat().sort((a, b) => a - b);

    for (const limit of [1, 2, 3, 5]) {
      const { changes, pages } = await rig.drainChanges('produto', since, { limit });
      const ids = changes.map((c) => Number(c.key.produto_id));
      expect([...ids].sort((a, b) => a - b), `limit ${limit}`).toEqual(expected);
      expect(new Set(ids).size).toBe(ids.length);
      // limit + 1 rows are read, so a last full page already knows nothing follows.
      expect(pages).toBe(Math.ceil(expected.length / limit));
      // Ascending (version, key): versions never go down, and keys ascend within one version.
      for (let i = 1; i < changes.length; i += 1) {
        const [a, b] = [changes[i - 1]!, changes[i]!];
        const order = BigInt(a.version) < BigInt(b.version) || (a.version === b.version && Number(a.key.produto_id) < Number(b.key.produto_id));
        expect(order, `${a.version}/${a.key.produto_id} before ${b.version}/${b.key.produto_id}`).toBe(true);
      }
      const updated = changes.find((c) => c.key.produto_id === 105);
      expect(updated).toMatchObject({ op: 'upsert', row: { preco_base: '11.2500' } });
    }
  });

  it('answers every page with the contract shape, and keeps toVersion fixed across the pages of a window', async () => {
    const since = await rig.checkpoint('produto');
    await insertProdutos(rig, [201, 202, 203]);
    const first = changesPageSchema.parse((await rig.get(`/v1/changes?table=produto&since=${since}&limit=2`)).json);
    expect(first).toMatchObject({ table: 'produto', sinceVersion: since, keyColumns: ['produto_id'], hasMore: true });
    expect(first.columns).toContainEqual({ name: 'preco_base', type: 'decimal' });
    await insertProdutos(rig, [204]);
    const second = changesPageSchema.parse((await rig.get(`/v1/changes?table=produto&since=${since}&limit=2&cursor=${first.nextCursor}`)).json);
    expect(second.toVersion).toBe(first.toVersion);
    expect(second.hasMore).toBe(false);
    expect(second.nextCursor).toBeNull();
    expect([...first.changes, ...second.changes].map((c) => c.key.produto_id)).toEqual([201, 202, 203]);
    // 204 committed after the window was fixed: it is in the next one.
    const next = await rig.drainChanges('produto', second.toVersion);
    expect(next.changes.map((c) => c.key.produto_id)).toEqual([204]);
  });

  it('compresses a large page when the client accepts gzip', async () => {
    const since = await rig.checkpoint('produto');
    await insertProdutosTogether(rig, Array.from({ length: 30 }, (_, i) => 300 + i));
    const response = await rig.get(`/v1/changes?table=produto&since=${since}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    const page = JSON.parse(gunzipSync(response.raw).toString('utf8')) as ChangesPage;
    expect(page.changes).toHaveLength(30);
  });

  describe('refuses bad requests with a problem naming the parameter', () => {
    it.each([
      ['no table', '/v1/changes?since=0', 400, 'table'],
      ['a table name that is not an identifier', '/v1/changes?table=Produto;drop&since=0', 400, 'table'],
      ['an unknown table', '/v1/changes?table=sync_inbox&since=0', 404, 'table'],
      ['no since', '/v1/changes?table=produto', 400, 'since'],
      ['a since that is not a version', '/v1/changes?table=produto&since=-1', 400, 'since'],
      ['a since beyond bigint', '/v1/changes?table=produto&since=99999999999999999999', 400, 'since'],
      ['a zero limit', '/v1/changes?table=produto&since=0&limit=0', 400, 'limit'],
      ['a limit above 5000', '/v1/changes?table=produto&since=0&limit=5001', 400, 'limit'],
      ['a limit that is not a number', '/v1/changes?table=produto&since=0&limit=ten', 400, 'limit'],
      ['a negative wait', '/v1/changes?table=produto&since=0&wait=-5', 400, 'wait'],
      ['a repeated parameter', '/v1/changes?table=produto&table=loja&since=0', 400, 'table'],
      ['a cursor that is not base64url JSON', '/v1/changes?table=produto&since=0&cursor=not*a*cursor', 400, 'cursor'],
      ['a snapshot with an unknown table', '/v1/snapshot?table=nope', 404, 'table'],
      ['a snapshot with a bad limit', '/v1/snapshot?table=produto&limit=1.5', 400, 'limit'],
    ])('%s', async (_case, path, status, field) => {
      const response = await rig.get(path);
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json).toMatchObject({ status, field });
    });

    const cursorOf = (fields: Record<string, unknown>) => Buffer.from(JSON.stringify(fields)).toString('base64url');

    it('a cursor of another table, a cursor with extra fields, and a cursor reaching past the settled versions', async () => {
      const since = await rig.checkpoint('produto');
      const cases = [
        cursorOf({ to: since, v: since, k: '{"loja_id":1,"produto_id":1}' }),
        cursorOf({ to: since, v: since, k: '{"produto_id":1}', extra: 1 }),
        cursorOf({ to: '9000000000000000000', v: since, k: '{"produto_id":1}' }),
        cursorOf({ to: since, v: '0', k: '{"produto_id":1}' }),
      ];
      for (const cursor of cases) {
        const response = await rig.get(`/v1/changes?table=produto&since=${since}&cursor=${cursor}`);
        expect(response.status, cursor).toBe(400);
        expect(response.json).toMatchObject({ field: 'cursor' });
      }
    });

    it('no token, or an unknown one', async () => {
      expect((await rig.get('/v1/changes?table=produto&since=0', { token: null })).status).toBe(401);
      expect((await rig.get('/v1/tables', { token: 'token-nobody-has-this-one-0000' })).status).toBe(401);
    });
  });
});
