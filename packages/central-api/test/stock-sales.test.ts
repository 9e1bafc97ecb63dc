import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { makeEvent, vendaEvent, vendaPayload } from './support/events.js';
import { movementsOf, seedProducts, stockDivergences, stockOf } from './support/stock.js';

const HANDLERS = 'venda.finalizada=sync_handle_venda,venda.cancelada=sync_handle_venda_cancelada';

const item = (itemNumero: number, produtoId: number, quantidade: string) => ({
  item_numero: itemNumero,
  produto_id: produtoId,
  descricao: `Produto ${produtoId}`,
  quantidade,
  preco_unitario: '1.0000',
  desconto: '0.0000',
  total: quantidade,
});

describeBackends('stock moved by sales (sale handlers)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, { EVENT_HANDLERS: HANDLERS }, (db) => seedProducts(db, [101, 102, 103, 104]));
  });
  afterAll(async () => h?.close());

  const post = async (events: unknown[], token: string = PDVS.a.token) => {
    const response = await h.postJson('/v1/events', { events }, { token });
    expect(response.status).toBe(200);
    return (response.json as { results: { status: string; error?: unknown }[] }).results;
  };
  const cancellation = (vendaId: string) =>
    makeEvent({ type: 'venda.cancelada', payload: JSON.stringify({ ...vendaPayload({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId }), status: 'CANCELADA' }) });

  it('takes a sale out of its loja stock in the inbox transaction, and a replay moves nothing more', async () => {
    const vendaId = randomUUID();
    const event = vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId, itens: [item(1, 101, '3.0000'), item(2, 101, '0.5000'), item(3, 102, '1.2500')] });
    expect((await post([event]))[0]).toMatchObject({ status: 'applied' });
    expect(await stockOf(h.db, 1, 101)).toBe('-3.5000');
    expect(await stockOf(h.db, 1, 102)).toBe('-1.2500');
    expect(await stockOf(h.db, 2, 101)).toBeNull();

    expect((await post([event]))[0]).toMatchObject({ status: 'duplicate' });
    expect((await post([event]))[0]).toMatchObject({ status: 'duplicate' });
    expect(await stockOf(h.db, 1, 101)).toBe('-3.5000');
    expect(await movementsOf(h.db, vendaId)).toEqual(['sale 101 -3.0000', 'sale 101 -0.5000', 'sale 102 -1.2500']);
    expect(await stockDivergences(h.db)).toEqual([]);
  });

  it('moves stock exactly as a sale finalised, cancelled and finalised again happened', async () => {
    const vendaId = randomUUID();
    const finalised = () => vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId, itens: [item(1, 103, '2.0000')] });
    expect((await post([finalised()]))[0]).toMatchObject({ status: 'applied' });
    expect(await stockOf(h.db, 1, 103)).toBe('-2.0000');
    const cancel = cancellation(vendaId);
    expect((await post([cancel]))[0]).toMatchObject({ status: 'applied' });
    expect(await stockOf(h.db, 1, 103)).toBe('0.0000');
    expect((await post([cancel]))[0]).toMatchObject({ status: 'duplicate' });
    expect(await stockOf(h.db, 1, 103)).toBe('0.0000');
    expect((await post([finalised()]))[0]).toMatchObject({ status: 'applied' });
    expect(await stockOf(h.db, 1, 103)).toBe('-2.0000');
    expect(await movementsOf(h.db, vendaId)).toEqual(['sale 103 -2.0000', 'sale-cancel 103 2.0000', 'sale 103 -2.0000']);
    expect(await stockDivergences(h.db)).toEqual([]);
  });

  it('records a sale of a product the catalog does not know without moving any stock', async () => {
    const vendaId = randomUUID();
    const event = vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId, itens: [item(1, 999, '1.0000'), item(2, 104, '4.0000')] });
    expect((await post([event]))[0]).toMatchObject({ status: 'applied' });
    expect(await movementsOf(h.db, vendaId)).toEqual(['sale 104 -4.0000']);
    expect(await stockOf(h.db, 1, 104)).toBe('-4.0000');
  });

  it('ends concurrent sales of one product at two PDVs in the exact stock', async () => {
    const before = Number(await stockOf(h.db, 1, 102));
    const sales = Array.from({ length: 24 }, () => vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, itens: [item(1, 102, '1.0000'), item(2, 101, '0.2500')] }));
    const other = Array.from({ length: 12 }, () => vendaEvent({ pdvId: PDVS.b.pdvId, lojaId: 2, itens: [item(1, 102, '2.0000')] }));
    const results = await Promise.all([
      ...sales.map((sale) => post([sale])),
      ...other.map((sale) => post([sale], PDVS.b.token)),
    ]);
    expect(results.flat().every((result) => result.status === 'applied')).toBe(true);
    expect(Number(await stockOf(h.db, 1, 102))).toBe(before - 24);
    expect(await stockOf(h.db, 2, 102)).toBe('-24.0000');
    expect(await stockDivergences(h.db)).toEqual([]);
  });
});
