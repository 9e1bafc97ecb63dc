import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS } from './support/central-harness.js';
import { sampleDeclarationFiltered, startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertPreco, insertProdutos } from './deltas-fixtures.js';

describeBackends('row filters per loja (sample declaration: preco_loja by loja_id)', (backend) => {
  let rig: DeltasRig;
  let since: string;
  beforeAll(async () => {
    rig = await startDeltasRig(backend);
    await insertProdutos(rig, [1, 2, 3]);
    since = await rig.checkpoint('preco_loja');
    // Each PDV loads its own loja's prices: its Sync-Token holds for that loja only.
    await rig.checkpoint('preco_loja', PDVS.b.token);
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

  it("sends a deleted price only to its own loja's PDVs (the filter column is in the key), and another loja's updates to nobody else", async () => {
    const before = await rig.checkpoint('preco_loja');
    await rig.checkpoint('preco_loja', PDVS.b.token);
    await rig.exec('DELETE FROM preco_loja WHERE loja_id = $1 AND produto_id = $2', [2, 2]);
    await rig.exec('UPDATE preco_loja SET preco = $1 WHERE loja_id = $2 AND produto_id = $3', ['12.5000', 2, 1]);
    await rig.exec('DELETE FROM preco_loja WHERE loja_id = $1 AND produto_id = $2', [1, 1]);
    const a = await rig.drainChanges('preco_loja', before, { token: PDVS.a.token });
    const b = await rig.drainChanges('preco_loja', before, { token: PDVS.b.token });
    expect(a.changes).toEqual([{ op: 'delete', version: expect.any(String), key: { loja_id: 1, produto_id: 1 } }]);
    expect(keysOf(b.changes)).toEqual(['delete:2/2', 'upsert:2/1']);
    expect(b.changes.find((c) => c.op === 'upsert')).toMatchObject({ row: { preco: '12.5000' } });
  });
});

// A filter on a column outside the key: categoria_id of produto stands for a loja here (PDV a: 1, PDV b: 2).
describeBackends('row filters on a column outside the key (produto filtered by categoria_id)', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { SERVED_TABLES_FILE: sampleDeclarationFiltered({ produto: 'categoria_id' }) });
    await rig.exec(`INSERT INTO categoria (categoria_id, nome) VALUES (2, 'Padaria')`);
  });
  afterAll(async () => rig?.close());

  const keysOf = (changes: { op: string; key: Record<string, unknown> }[]) => changes.map((c) => `${c.op}:${c.key.produto_id}`).sort();

  it('sends a deleted row to every PDV, since its filter column is gone, and a row that moved away as a delete', async () => {
    await insertProdutos(rig, [1, 2, 3]);
    await rig.exec('UPDATE produto SET categoria_id = 2 WHERE produto_id IN (2, 3)');
    const a = await rig.checkpoint('produto');
    const b = await rig.checkpoint('produto', PDVS.b.token);
    await rig.exec('DELETE FROM produto WHERE produto_id = $1', [3]);
    await rig.exec('UPDATE produto SET categoria_id = 2 WHERE produto_id = $1', [1]);
    // Loja 1 had 1 (it moved away: a delete); 3 was loja 2's, deleted: its tombstone reaches both.
    expect(keysOf((await rig.drainChanges('produto', a, { token: PDVS.a.token })).changes)).toEqual(['delete:1', 'delete:3']);
    expect(keysOf((await rig.drainChanges('produto', b, { token: PDVS.b.token })).changes)).toEqual(['delete:3', 'upsert:1']);
  });
});
