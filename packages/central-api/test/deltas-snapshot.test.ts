import { snapshotPageSchema, type SyncRow } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { applyChanges, insertProdutos, keyId } from './deltas-fixtures.js';

const IDS = Array.from({ length: 23 }, (_, i) => i + 1);

describeBackends('GET /v1/snapshot: paged, resumable, and replayed by deltas', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend);
    await insertProdutos(rig, IDS);
  });
  afterAll(async () => rig?.close());

  const page = async (cursor: string | null, limit = 5) => {
    const response = await rig.get(`/v1/snapshot?table=produto&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status, response.text).toBe(200);
    return snapshotPageSchema.parse(response.json);
  };

  it('pages by key at one version carried in the cursor', async () => {
    const { rows, pages } = await rig.snapshotAll('produto', { limit: 5 });
    expect(rows.map((r) => r.produto_id)).toEqual(IDS);
    expect(pages).toBe(5);
    const first = await page(null);
    expect(first).toMatchObject({ table: 'produto', keyColumns: ['produto_id'], hasMore: true });
    await insertProdutos(rig, [500]);
    const second = await page(first.nextCursor);
    expect(second.snapshotVersion).toBe(first.snapshotVersion);
    await rig.exec('DELETE FROM produto WHERE produto_id = $1', [500]);
  });

  it('resumes from any cursor with the same rows', async () => {
    const first = await page(null);
    const second = await page(first.nextCursor);
    const again = await page(first.nextCursor);
    expect(again).toEqual(second);
    const rest: SyncRow[] = [];
    for (let cursor = second.nextCursor; cursor; ) {
      const next = await page(cursor);
      rest.push(...next.rows);
      cursor = next.nextCursor;
    }
    expect([...first.rows, ...second.rows, ...rest].map((r) => r.produto_id)).toEqual(IDS);
  });

  it('changes made while the snapshot is read are replayed by the deltas from snapshotVersion', async () => {
    const replica = new Map<string, SyncRow>();
    const first = await page(null);
    for (const row of first.rows) replica.set(keyId({ produto_id: row.produto_id! }), row);
    // On a page already read, on a page still to come, and a brand-new row.
    await rig.exec('UPDATE produto SET descricao = $1 WHERE produto_id = $2', ['Alterado durante o snapshot', 2]);
    await rig.exec('DELETE FROM produto WHERE produto_id = $1', [20]);
    await insertProdutos(rig, [100]);
    for (let cursor = first.nextCursor; cursor; ) {
      const next = await page(cursor);
      for (const row of next.rows) replica.set(keyId({ produto_id: row.produto_id! }), row);
      cursor = next.nextCursor;
    }
    const { changes } = await rig.drainChanges('produto', first.snapshotVersion, { limit: 2 });
    applyChanges(replica, changes);

    const fresh = await rig.snapshotAll('produto');
    expect([...replica.values()].sort((a, b) => Number(a.produto_id) - Number(b.produto_id))).toEqual(fresh.rows);
    expect(replica.get(keyId({ produto_id: 2 }))).toMatchObject({ descricao: 'Alterado durante o snapshot' });
    expect(replica.has(keyId({ produto_id: 20 }))).toBe(false);
    expect(replica.has(keyId({ produto_id: 100 }))).toBe(true);
  });

  it('refuses a cursor that is not one of its own', async () => {
    const forged = Buffer.from(JSON.stringify({ s: '1', k: '{"loja_id":1}' })).toString('base64url');
    for (const cursor of ['%%%', forged]) {
      const response = await rig.get(`/v1/snapshot?table=produto&cursor=${cursor}`);
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ field: 'cursor' });
    }
  });
});
