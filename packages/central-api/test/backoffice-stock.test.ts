import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { backofficeSetup, postBackoffice, type BackofficeRig } from './support/backoffice.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { vendaEvent } from './support/events.js';
import { movementsOf, placeholder, stockDivergences, stockOf } from './support/stock.js';

const COMPRAS = '/v1/backoffice/compras';
const BAIXAS = '/v1/backoffice/baixas';

describeBackends('back office: compras and baixas move stock per loja', (backend) => {
  let h: Harness;
  const rig: BackofficeRig = { token: '' };
  beforeAll(async () => {
    h = await startHarness(backend, { EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda' }, backofficeSetup(rig));
  });
  afterAll(async () => h?.close());

  const post = (path: string, key: string | null, body: unknown, token: string | null = rig.token) => postBackoffice(h, token, path, key, body);
  const count = async (sql: string, params: unknown[] = []) => Number((await h.db.query<{ n: number | string }>(sql, params)).rows[0]!.n);
  const documents = () => count('SELECT COUNT(*) AS n FROM estoque_documento');
  const movements = () => count('SELECT COUNT(*) AS n FROM estoque_movimento');

  it('records a purchase, moves stock in, and answers a replay with the stored response without moving it again', async () => {
    const body = { id: 'NF-1001', loja: 1, items: [{ product: 101, quantity: '10.0000', cost: '4.2500' }, { product: 102, quantity: 3, cost: '1.1' }] };
    const first = await post(COMPRAS, 'compra-1', body);
    expect(first.status).toBe(201);
    expect(first.json).toEqual({ id: 'NF-1001', kind: 'purchase', loja: 1, items: 2 });
    expect(await stockOf(h.db, 1, 101)).toBe('10.0000');
    expect(await stockOf(h.db, 1, 102)).toBe('3.0000');
    const { rows } = await h.db.query<{ custo: string }>(
      `SELECT CAST(custo_unitario AS varchar(40)) AS custo FROM estoque_movimento WHERE origem_id = ${placeholder(h.db, 1)} ORDER BY movimento_id`,
      ['NF-1001'],
    );
    expect(rows.map((row) => row.custo)).toEqual(['4.2500', '1.1000']);

    const replay = await post(COMPRAS, 'compra-1', body);
    expect(replay.status).toBe(201);
    expect(replay.json).toEqual(first.json);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await stockOf(h.db, 1, 101)).toBe('10.0000');
    expect(await movementsOf(h.db, 'NF-1001')).toEqual(['purchase 101 10.0000', 'purchase 102 3.0000']);
  });

  it('refuses the same key with another body (422), and the same purchase id under another key (409), storing nothing', async () => {
    const body = { id: 'NF-1002', loja: 1, items: [{ product: 101, quantity: '1', cost: '1' }] };
    expect((await post(COMPRAS, 'compra-2', body)).status).toBe(201);
    const before = await movements();
    const reused = await post(COMPRAS, 'compra-2', { ...body, items: [{ product: 101, quantity: '2', cost: '1' }] });
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ field: 'Idempotency-Key' });
    const otherOperation = await post(BAIXAS, 'compra-2', { id: 'B-1', loja: 1, reason: 'quebra', items: [{ product: 101, quantity: '1' }] });
    expect(otherOperation.status).toBe(422);
    const again = await post(COMPRAS, 'compra-2-bis', body);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ field: 'id' });
    expect(await movements()).toBe(before);
    expect(await stockOf(h.db, 1, 101)).toBe('11.0000');
  });

  it('applies once when the same request arrives twice at the same moment: one write, one stored replay', async () => {
    const before = Number(await stockOf(h.db, 1, 104) ?? 0);
    const body = { id: 'NF-SIMUL', loja: 1, items: [{ product: 104, quantity: '7', cost: '1' }] };
    const answers = await Promise.all([post(COMPRAS, 'simultaneous', body), post(COMPRAS, 'simultaneous', body), post(COMPRAS, 'simultaneous', body)]);
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
    expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
    expect(Number(await stockOf(h.db, 1, 104))).toBe(before + 7);
    expect(await movementsOf(h.db, 'NF-SIMUL')).toEqual(['purchase 104 7.0000']);
  });

  it('takes a write-off out of stock, with its reason', async () => {
    const response = await post(BAIXAS, 'baixa-1', { id: 'B-100', loja: 1, reason: 'avaria no transporte', items: [{ product: 101, quantity: '2.5' }] });
    expect(response.status).toBe(201);
    expect(response.json).toEqual({ id: 'B-100', kind: 'write-off', loja: 1, items: 1 });
    expect(await stockOf(h.db, 1, 101)).toBe('8.5000');
    const { rows } = await h.db.query<{ motivo: string }>(`SELECT motivo FROM estoque_documento WHERE documento_id = ${placeholder(h.db, 1)}`, ['B-100']);
    expect(rows).toEqual([{ motivo: 'avaria no transporte' }]);
  });

  it.each([
    ['a negative quantity', COMPRAS, { id: 'X-1', loja: 1, items: [{ product: 101, quantity: '-1', cost: '1' }] }, 400, 'items[0].quantity'],
    ['a zero quantity', BAIXAS, { id: 'X-2', loja: 1, reason: 'r', items: [{ product: 101, quantity: '0.0000' }] }, 400, 'items[0].quantity'],
    ['too many decimals', COMPRAS, { id: 'X-3', loja: 1, items: [{ product: 101, quantity: '1.00001', cost: '1' }] }, 400, 'items[0].quantity'],
    ['a quantity of the wrong type', COMPRAS, { id: 'X-4', loja: 1, items: [{ product: 101, quantity: true, cost: '1' }] }, 400, 'items[0].quantity'],
    ['a negative cost', COMPRAS, { id: 'X-5', loja: 1, items: [{ product: 101, quantity: '1', cost: '-0.01' }] }, 400, 'items[0].cost'],
    ['an unknown product', COMPRAS, { id: 'X-6', loja: 1, items: [{ product: 101, quantity: '1', cost: '1' }, { product: 999, quantity: '1', cost: '1' }] }, 422, 'items[1].product'],
    ['an unknown store', BAIXAS, { id: 'X-7', loja: 77, reason: 'r', items: [{ product: 101, quantity: '1' }] }, 422, 'loja'],
    ['an unknown field', COMPRAS, { id: 'X-8', loja: 1, items: [{ product: 101, quantity: '1', cost: '1', lote: 'a' }] }, 400, 'items[0].lote'],
    ['a missing reason', BAIXAS, { id: 'X-9', loja: 1, items: [{ product: 101, quantity: '1' }] }, 400, 'reason'],
    ['no items', COMPRAS, { id: 'X-10', loja: 1, items: [] }, 400, 'items'],
    ['a bad id', COMPRAS, { id: '', loja: 1, items: [{ product: 101, quantity: '1', cost: '1' }] }, 400, 'id'],
  ])('refuses %s with a problem naming the field, and stores nothing', async (_what, path, body, status, field) => {
    const before = { documents: await documents(), movements: await movements(), stock: await stockOf(h.db, 1, 101) };
    const response = await post(path, `bad-${randomUUID()}`, body);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json).toMatchObject({ field });
    expect({ documents: await documents(), movements: await movements(), stock: await stockOf(h.db, 1, 101) }).toEqual(before);
  });

  it('refuses malformed JSON, a missing Idempotency-Key and a huge body with a 4xx, never a crash', async () => {
    expect((await post(COMPRAS, 'k-malformed', '{"id": "NF-9", "loja": 1, "items": [')).status).toBe(400);
    const missingKey = await post(COMPRAS, null, { id: 'NF-9', loja: 1, items: [{ product: 101, quantity: '1', cost: '1' }] });
    expect(missingKey.status).toBe(400);
    expect(missingKey.json).toMatchObject({ field: 'Idempotency-Key' });
    const huge = await post(COMPRAS, 'k-huge', { id: 'NF-9', loja: 1, items: [{ product: 101, quantity: '1', cost: '1' }], pad: 'x'.repeat(11 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect((await h.request('/health/live')).status).toBe(200);
  });

  it('refuses a PDV token on the back-office routes, and a back-office token on the PDV routes', async () => {
    const body = { id: 'NF-20', loja: 1, items: [{ product: 101, quantity: '1', cost: '1' }] };
    expect((await post(COMPRAS, 'k-pdv', body, PDVS.a.token)).status).toBe(401);
    expect((await post(COMPRAS, 'k-none', body, null)).status).toBe(401);
    const asPdv = await h.postJson('/v1/events', { events: [vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1 })] }, { token: rig.token });
    expect(asPdv.status).toBe(401);
    expect((await h.request('/v1/pdv', { headers: { authorization: `Bearer ${rig.token}` } })).status).toBe(401);
  });

  it('ends concurrent sales (through ingest) and purchases of one product in the exact stock, equal to its movements', async () => {
    const before = Number(await stockOf(h.db, 1, 103) ?? 0);
    const item = { item_numero: 1, produto_id: 103, descricao: 'Produto 103', quantidade: '1.0000', preco_unitario: '1.0000', desconto: '0.0000', total: '1.0000' };
    const sales = Array.from({ length: 30 }, () => h.postJson('/v1/events', { events: [vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, itens: [item] })] }));
    const purchases = Array.from({ length: 10 }, (_, i) => post(COMPRAS, `conc-${i}`, { id: `NF-C${i}`, loja: 1, items: [{ product: 103, quantity: '5', cost: '2' }] }));
    const answers = await Promise.all([...sales, ...purchases]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array(30).fill(200), ...Array(10).fill(201)].sort());
    expect(Number(await stockOf(h.db, 1, 103))).toBe(before - 30 + 50);
    expect(await stockDivergences(h.db)).toEqual([]);
  });
});
