import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { waitFor } from '../../packages/core/test/support/spawn-daemon.js';
import { vendaPayload } from '../../packages/central-api/test/support/events.js';
import { seededRandom } from '../../test-support/seeded-random.js';
import { insertOutboxEvents } from './support/outbox-fixtures.js';
import { createPushRig, PDV_ID, stopGracefully, type PushRig } from './support/push-rig.js';

const item = (itemNumero: number, produtoId: number, quantidade: string) => ({
  item_numero: itemNumero,
  produto_id: produtoId,
  descricao: `Produto ${produtoId}`,
  quantidade,
  preco_unitario: '1.0000',
  desconto: '0.0000',
  total: quantidade,
});

describeBackends('stock after a crash loop of push-service', (backend) => {
  let rig: PushRig;
  beforeAll(async () => {
    rig = await createPushRig(backend, { EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda' });
    const p = (n: number) => (rig.central.db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
    await rig.central.db.query(`INSERT INTO categoria (categoria_id, nome) VALUES (1, 'Mercearia')`);
    for (const id of [1, 2]) {
      await rig.central.db.query(
        `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
         VALUES (${p(1)}, ${p(2)}, ${p(3)}, 1, 'UN', 10, '2026-11-30 08:00:00', '2026-11-30 08:00:00-03:00')`,
        [id, `789000000000${id}`, `Produto ${id}`],
      );
    }
  });
  afterAll(async () => rig?.dispose());

  it('moves stock once per sale while push-service is killed at random moments, and stock equals its movements', async () => {
    const sales = backend.name === 'pglite' ? 200 : 400;
    const kills = 3;
    const random = seededRandom(20261217);
    // Every sale takes 1 of produto 1; every third one also 2.5 of produto 2.
    const events = Array.from({ length: sales }, (_, i) => {
      const itens = i % 3 === 0 ? [item(1, 1, '1.0000'), item(2, 2, '2.5000')] : [item(1, 1, '1.0000')];
      const payload = vendaPayload({ pdvId: PDV_ID, lojaId: 1, vendaId: randomUUID(), itens });
      return { eventId: randomUUID(), eventType: 'venda.finalizada', streamKey: `caixa:${i % 5}`, payload: JSON.stringify(payload) };
    });
    await insertOutboxEvents(rig.pdv.db, events);
    const env = { PUSH_BATCH_SIZE: '50', PUSH_LEASE_MS: '3000', PUSH_RESPONSE_TIMEOUT_MS: '1500' };
    for (let killed = 0; killed < kills; killed += 1) {
      const push = rig.startPush(env);
      await waitFor(async () => push.stdout().includes('schema up to date') || push.child.exitCode !== null, 30_000, 'push-service to start');
      await new Promise((resolve) => setTimeout(resolve, 100 + random.next() * 600));
      push.child.kill('SIGKILL');
      await push.exited;
    }
    const survivor = rig.startPush(env);
    await rig.waitDrained(180_000);
    expect(await stopGracefully(survivor)).toBe(0);

    const read = async (sql: string) => (await rig.central.db.query<Record<string, unknown>>(sql)).rows;
    expect(await rig.inboxCount()).toBe(sales);
    const stock = await read('SELECT produto_id, CAST(quantidade AS varchar(40)) AS quantidade FROM estoque WHERE loja_id = 1 ORDER BY produto_id');
    const withProduto2 = Math.ceil(sales / 3);
    expect(stock).toEqual([
      { produto_id: 1, quantidade: `${-sales}.0000` },
      { produto_id: 2, quantidade: `${(-2.5 * withProduto2).toFixed(4)}` },
    ]);
    expect(Number((await read('SELECT COUNT(*) AS n FROM estoque_movimento'))[0]!.n)).toBe(sales + withProduto2);
    expect(await read('SELECT * FROM estoque_divergente')).toEqual([]);
  }, 300_000);
});
