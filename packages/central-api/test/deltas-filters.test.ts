import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS } from './support/central-harness.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertPreco, insertProdutos } from './deltas-fixtures.js';

describeBackends('row filters per loja (ROW_FILTERS=preco_loja.loja_id)', (backend) => {
  let rig: DeltasRig;
  let since: string;
  beforeAll(async () => {
    rig = await startDeltasRig(backend);
    await insertProdutos(rig, [1, 2, 3]);
    since = await rig.checkpoint('preco_loja');
    await insertPreco(rig, 1, 1, '10.0000');
    await insertPreco(rig, 1, 2, '20.0000');
    await insertPreco(rig, 2, 1, '11.0000');
    await insertPreco(rig, 2, 2, '21.0000');
    await insertPreco(rig, 2, 3, '31.0000');
  });
  afterAll(async () => rig?.close());

  const keysOf = (changes: { op: string; key: Record<string, unknown> }[]) => changes.map((c) => `${c.op}:${c.key.loja_id}/${c.key.produto_id}`).sort();

  it('sends each PDV the upserts of its own loja only', async () => {
    const a = await rig.drainChanges('preco_loja', since, { token: PDVS.a.token });
    const b = await rig.drainChanges('preco_loja', since, { token: PDVS.b.token, limit: 1 });
    expect(keysOf(a.changes)).toEqual(['upsert:1/1', 'upsert:1/2']);
    expect(keysOf(b.changes)).toEqual(['upsert:2/1', 'upsert:2/2', 'upsert:2/3']);
    // The other loja's changes were skipped, not lost: each window ends past every change of both lojas. (Not
    // an equal bound: on a shared server, transactions of other databases move the settled bound in between.)
    const last = [...a.changes, ...b.changes].reduce((max, c) => (BigInt(c.version) > max ? BigInt(c.version) : max), 0n);
    expect(BigInt(a.toVersion)).toBeGreaterThan(last);
    expect(BigInt(b.toVersion)).toBeGreaterThan(last);
  });

  it("filters the snapshot the same way, and leaves unfiltered tables whole", async () => {
    expect((await rig.snapshotAll('preco_loja', { token: PDVS.a.token })).rows.map((r) => `${r.loja_id}/${r.produto_id}`)).toEqual(['1/1', '1/2']);
    expect((await rig.snapshotAll('preco_loja', { token: PDVS.b.token, limit: 2 })).rows.map((r) => `${r.loja_id}/${r.produto_id}`)).toEqual(['2/1', '2/2', '2/3']);
    expect((await rig.snapshotAll('produto', { token: PDVS.b.token })).rows).toHaveLength(3);
  });

  it("sends a deleted price to every PDV, and another loja's updates to nobody else", async () => {
    const before = await rig.checkpoint('preco_loja');
    await rig.exec('DELETE FROM preco_loja WHERE loja_id = $1 AND produto_id = $2', [2, 2]);
    await rig.exec('UPDATE preco_loja SET preco = $1 WHERE loja_id = $2 AND produto_id = $3', ['12.5000', 2, 1]);
    const a = await rig.drainChanges('preco_loja', before, { token: PDVS.a.token });
    const b = await rig.drainChanges('preco_loja', before, { token: PDVS.b.token });
    expect(a.changes).toEqual([{ op: 'delete', version: expect.any(String), key: { loja_id: 2, produto_id: 2 } }]);
    expect(keysOf(b.changes)).toEqual(['delete:2/2', 'upsert:2/1']);
    expect(b.changes.find((c) => c.op === 'upsert')).toMatchObject({ row: { preco: '12.5000' } });
  });
});
