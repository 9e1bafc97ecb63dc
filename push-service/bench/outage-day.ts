import { randomUUID } from 'node:crypto';
import type { Database } from '../../packages/core/src/db/types.js';

/** Products the sales ring up; the central catalog must hold them (the stock handler references produto). */
export const OUTAGE_PRODUCTS = 500;

export interface OutageDay {
  sales: number;
  /** Cash-register sessions (shifts) the sales are spread over: each is one stream of events, in order. */
  sessions: number;
  lojaId: number;
  pdvId: string;
}

/** Events the day produces: one per sale, and three cash movements per session (opening, bleed, closing). */
export function outageDayEvents(day: OutageDay): number {
  return day.sales + 3 * day.sessions;
}

/** Sales written per transaction: a till commits one sale at a time, but 5,000 one by one would take the bench longer than the drain. */
const SALES_PER_TRANSACTION = 100;

/**
 * Rings up a day of sales on a PDV's own tables, the way the till of the demo does (sale opened, 1 to 5 items,
 * one payment or a split of two, then finalised), so that the producer triggers capture them and push-service
 * builds the events with the declared payload (items and payments nested). Set-based, per transaction of 100
 * sales, so that writing 5,000 sales takes seconds.
 */
export async function ringUpOutageDay(db: Database, day: OutageDay): Promise<void> {
  const perSession = Math.ceil(day.sales / day.sessions);
  let numero = 0;
  for (let session = 0; session < day.sessions; session += 1) {
    const sessionId = randomUUID();
    const sales = Math.min(perSession, day.sales - numero);
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO caixa_sessao (caixa_sessao_id, loja_id, pdv_id, operador_id, aberto_em, valor_abertura, status)
         VALUES ($1, $2, $3, $4, now(), 200.0000, 'ABERTO')`,
        [sessionId, day.lojaId, day.pdvId, 1 + session],
      );
      await movement(tx, sessionId, 'ABERTURA', '200.0000', 'Troco inicial');
    });
    for (let done = 0; done < sales; done += SALES_PER_TRANSACTION) {
      const first = numero + done + 1;
      const last = numero + Math.min(sales, done + SALES_PER_TRANSACTION);
      await db.transaction((tx) => ringUpSales(tx, sessionId, day, first, last));
      if (done < sales / 2 && done + SALES_PER_TRANSACTION >= sales / 2) {
        await db.transaction((tx) => movement(tx, sessionId, 'SANGRIA', '500.0000', 'Sangria para o cofre'));
      }
    }
    numero += sales;
    await db.transaction(async (tx) => {
      await movement(tx, sessionId, 'FECHAMENTO', '0', 'Fechamento do caixa');
      await tx.query(`UPDATE caixa_sessao SET status = 'FECHADO', fechado_em = now() WHERE caixa_sessao_id = $1`, [sessionId]);
    });
  }
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

async function movement(tx: Tx, sessionId: string, tipo: string, valor: string, observacao: string): Promise<void> {
  await tx.query(
    `INSERT INTO caixa_movimento (caixa_movimento_id, caixa_sessao_id, tipo, valor, ocorrido_em, observacao) VALUES ($1, $2, $3, $4::numeric, now(), $5)`,
    [randomUUID(), sessionId, tipo, valor, observacao],
  );
}

/** Sales `first`..`last` of the session: opened, items and payments written, then finalised (the trigger fires then). */
async function ringUpSales(tx: Tx, sessionId: string, day: OutageDay, first: number, last: number): Promise<void> {
  await tx.query(
    `INSERT INTO venda (venda_id, caixa_sessao_id, loja_id, pdv_id, numero, status, subtotal, desconto, total, iniciada_em)
     SELECT gen_random_uuid(), $1, $2, $3, n, 'ABERTA', 0, 0, 0, now() FROM generate_series($4::int, $5::int) AS n`,
    [sessionId, day.lojaId, day.pdvId, first, last],
  );
  // 1 to 5 items per sale, quantities 1 to 3, prices and descriptions as the catalog of the pull benchmark has them.
  await tx.query(
    `INSERT INTO venda_item (venda_id, item_numero, produto_id, descricao, quantidade, preco_unitario, desconto, total)
     SELECT v.venda_id, i, p.id, 'Produto ' || p.id || ' — pão de açúcar', q.qty, q.price, 0, round(q.qty * q.price, 4)
       FROM venda v
      CROSS JOIN LATERAL generate_series(1, 1 + (v.numero * 7) % 5) AS i
      CROSS JOIN LATERAL (SELECT 1 + (v.numero * 31 + i * 17) % $2 AS id) AS p
      CROSS JOIN LATERAL (SELECT (1 + i % 3)::numeric(18,4) AS qty, (p.id * 1.2345)::numeric(18,4) AS price) AS q
      WHERE v.caixa_sessao_id = $1 AND v.status = 'ABERTA'`,
    [sessionId, OUTAGE_PRODUCTS],
  );
  await tx.query(
    `UPDATE venda v SET subtotal = t.total, total = t.total
       FROM (SELECT venda_id, sum(total) AS total FROM venda_item GROUP BY venda_id) AS t
      WHERE v.venda_id = t.venda_id AND v.caixa_sessao_id = $1 AND v.status = 'ABERTA'`,
    [sessionId],
  );
  // One payment; every fourth sale is split in two (cash and card).
  await tx.query(
    `INSERT INTO venda_pagamento (venda_id, sequencia, forma_pagamento_id, valor, troco)
     SELECT v.venda_id, s, CASE WHEN s = 1 THEN 1 + v.numero % 6 ELSE 2 END,
            CASE WHEN v.numero % 4 <> 0 THEN v.total WHEN s = 1 THEN round(v.total / 2, 4) ELSE v.total - round(v.total / 2, 4) END, 0
       FROM venda v CROSS JOIN LATERAL generate_series(1, CASE WHEN v.numero % 4 = 0 THEN 2 ELSE 1 END) AS s
      WHERE v.caixa_sessao_id = $1 AND v.status = 'ABERTA'`,
    [sessionId],
  );
  await tx.query(`UPDATE venda SET status = 'FINALIZADA', finalizada_em = now() WHERE caixa_sessao_id = $1 AND status = 'ABERTA'`, [sessionId]);
}
