import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { backofficeSetup, postBackoffice, type BackofficeRig } from './support/backoffice.js';
import { startHarness, type Harness } from './support/central-harness.js';
import { placeholder } from './support/stock.js';

const CADASTROS = '/v1/backoffice/cadastros';

describeBackends('back office: cadastros', (backend) => {
  let h: Harness;
  const rig: BackofficeRig = { token: '' };
  beforeAll(async () => {
    h = await startHarness(backend, {}, backofficeSetup(rig, [101]));
  });
  afterAll(async () => h?.close());

  const post = (key: string, body: unknown) => postBackoffice(h, rig.token, CADASTROS, key, body);
  const produto = async (id: number) =>
    (await h.db.query<{ descricao: string; preco: string; custo: string | null }>(
      `SELECT descricao, CAST(preco_base AS varchar(40)) AS preco, CAST(custo AS varchar(40)) AS custo FROM produto WHERE produto_id = ${placeholder(h.db, 1)}`,
      [id],
    )).rows[0];
  const changeLogCount = async (table: string) =>
    h.db.dialect === 'postgres' ? Number((await h.db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM sync_change_log WHERE table_name = $1`, [table])).rows[0]!.n) : 0;
  const newProduto = (id: number) => ({
    table: 'produto',
    action: 'insert',
    row: { produto_id: id, codigo_barras: '7890000000201', descricao: `Novo ${id}`, categoria_id: 1, unidade: 'UN', preco_base: '9.9900', custo: '5.1234', criado_em: '2026-12-01T08:00:00', atualizado_em: '2026-12-01T08:00:00-03:00' },
  });

  it('inserts, updates and deletes in one batch, writes a column never served (custo), and the change is tracked for the PDVs', async () => {
    const before = await changeLogCount('produto');
    const response = await post('cad-1', {
      operations: [
        newProduto(201),
        newProduto(202),
        { table: 'produto', action: 'update', row: { produto_id: 101, preco_base: '12.5000', custo: '7' } },
        { table: 'preco_loja', action: 'insert', row: { loja_id: 1, produto_id: 201, preco: '9.4900', vigencia_inicio: '2026-12-01', atualizado_em: '2026-12-01T08:00:00' } },
        { table: 'produto', action: 'delete', row: { produto_id: 202 } },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ applied: 5 });
    expect(await produto(201)).toEqual({ descricao: 'Novo 201', preco: '9.9900', custo: '5.1234' });
    expect(await produto(101)).toMatchObject({ preco: '12.5000', custo: '7.0000' });
    expect(await produto(202)).toBeUndefined();
    if (h.db.dialect === 'postgres') expect(await changeLogCount('produto')).toBeGreaterThanOrEqual(before + 4);

    const reused = await post('cad-1', { operations: [{ table: 'produto', action: 'update', row: { produto_id: 101, descricao: 'outra' } }] });
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ field: 'Idempotency-Key' });
    expect((await produto(101))!.descricao).not.toBe('outra');
    const sameBody = await post('cad-1', {
      operations: [
        newProduto(201),
        newProduto(202),
        { table: 'produto', action: 'update', row: { produto_id: 101, preco_base: '12.5000', custo: '7' } },
        { table: 'preco_loja', action: 'insert', row: { loja_id: 1, produto_id: 201, preco: '9.4900', vigencia_inicio: '2026-12-01', atualizado_em: '2026-12-01T08:00:00' } },
        { table: 'produto', action: 'delete', row: { produto_id: 202 } },
      ],
    });
    expect(sameBody.status).toBe(200);
    expect(sameBody.headers['idempotent-replayed']).toBe('true');
    expect(await produto(202)).toBeUndefined();
  });

  it.each([
    ['an unknown column', { table: 'produto', action: 'update', row: { produto_id: 101, margem: '1' } }, 'operations[1].row.margem'],
    ['a column of the wrong type', { table: 'produto', action: 'update', row: { produto_id: 101, preco_base: 'doze' } }, 'operations[1].row.preco_base'],
    ['a value too long', { table: 'produto', action: 'update', row: { produto_id: 101, unidade: 'UNIDADES' } }, 'operations[1].row.unidade'],
    ['too many decimals', { table: 'produto', action: 'update', row: { produto_id: 101, preco_base: '1.00001' } }, 'operations[1].row.preco_base'],
    ['a null in a NOT NULL column', { table: 'produto', action: 'update', row: { produto_id: 101, descricao: null } }, 'operations[1].row.descricao'],
    ['a bad date', { table: 'preco_loja', action: 'update', row: { loja_id: 1, produto_id: 201, vigencia_inicio: '2026-02-30' } }, 'operations[1].row.vigencia_inicio'],
    ['an undeclared table', { table: 'sync_pdv', action: 'delete', row: { pdv_id: 'x' } }, 'operations[1].table'],
    ['an unknown product (foreign key)', { table: 'preco_loja', action: 'insert', row: { loja_id: 1, produto_id: 999, preco: '1', vigencia_inicio: '2026-12-01', atualizado_em: '2026-12-01T08:00:00' } }, 'operations[1]'],
    ['an unknown store (foreign key)', { table: 'preco_loja', action: 'insert', row: { loja_id: 77, produto_id: 101, preco: '1', vigencia_inicio: '2026-12-01', atualizado_em: '2026-12-01T08:00:00' } }, 'operations[1]'],
    ['an update of a missing row', { table: 'produto', action: 'update', row: { produto_id: 888, descricao: 'x' } }, 'operations[1].row'],
    ['a missing key', { table: 'produto', action: 'update', row: { descricao: 'x' } }, 'operations[1].row.produto_id'],
  ])('refuses %s with a 4xx naming the field, and applies nothing of the batch', async (_what, bad, field) => {
    const response = await post(`bad-${randomUUID()}`, { operations: [{ table: 'produto', action: 'update', row: { produto_id: 101, descricao: 'half-applied?' } }, bad] });
    expect([400, 422]).toContain(response.status);
    expect(response.json).toMatchObject({ field });
    expect((await produto(101))!.descricao).not.toBe('half-applied?');
  });

  it('refuses a body that is not JSON with a 400 problem, and writes nothing', async () => {
    const response = await post(`bad-${randomUUID()}`, '{"operations": [{"table": "produto", "action": "update", "row": {"produto_id": 101, "descricao": "half');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json).toMatchObject({ type: 'urn:goldpdv:problem:invalid-request', detail: expect.stringMatching(/not valid JSON/) });
    expect((await produto(101))!.descricao).not.toBe('half');
  });
});
