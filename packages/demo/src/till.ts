import { randomUUID } from 'node:crypto';
import type { Queryable } from '@goldpdv/core';

/**
 * A cash register on one PDV: opens a session, rings up sales (items priced from the local replica, which is
 * exactly what a PDV does while offline) and finalises them, records a bleed, and closes. Every write is the
 * PDV's own business data; the outbox rows come from the producer triggers in the same transactions.
 */
export class Till {
  readonly sessionId = randomUUID();
  sales = 0;
  private saleNumber = 0;

  constructor(private readonly db: Queryable, private readonly lojaId: number, private readonly pdvId: string) {}

  async open(): Promise<void> {
    await this.db.executeScript(`
BEGIN;
INSERT INTO caixa_sessao (caixa_sessao_id, loja_id, pdv_id, operador_id, aberto_em, valor_abertura, status)
VALUES ('${this.sessionId}', ${this.lojaId}, '${this.pdvId}', 1, now(), 200.0000, 'ABERTO');
INSERT INTO caixa_movimento (caixa_movimento_id, caixa_sessao_id, tipo, valor, ocorrido_em, observacao)
VALUES ('${randomUUID()}', '${this.sessionId}', 'ABERTURA', 200.0000, now(), 'Troco inicial');
COMMIT;`);
  }

  /** Rings up one sale from products the PDV already has; false when the local catalog is still empty. */
  async ringUpSale(): Promise<boolean> {
    const { rows } = await this.db.query<{ produto_id: number; descricao: string; preco: string }>(
      `SELECT p.produto_id, p.descricao, pl.preco::text AS preco FROM preco_loja pl JOIN produto p USING (produto_id)
       WHERE pl.loja_id = $1 ORDER BY random() LIMIT $2`,
      [this.lojaId, 1 + Math.floor(Math.random() * 5)],
    );
    if (rows.length === 0) return false;
    const vendaId = randomUUID();
    this.saleNumber += 1;
    const items = rows.map((row, index) => ({ ...row, numero: index + 1, quantidade: (1 + (index % 3)).toFixed(4) }));
    const values = items
      .map((i) => `('${vendaId}', ${i.numero}, ${i.produto_id}, '${i.descricao.replaceAll("'", "''")}', ${i.quantidade}, ${i.preco}, 0, round(${i.quantidade} * ${i.preco}, 4))`)
      .join(',\n');
    await this.db.executeScript(`
BEGIN;
INSERT INTO venda (venda_id, caixa_sessao_id, loja_id, pdv_id, numero, status, subtotal, desconto, total, iniciada_em)
VALUES ('${vendaId}', '${this.sessionId}', ${this.lojaId}, '${this.pdvId}', ${this.saleNumber}, 'ABERTA', 0, 0, 0, now());
INSERT INTO venda_item (venda_id, item_numero, produto_id, descricao, quantidade, preco_unitario, desconto, total) VALUES
${values};
UPDATE venda SET subtotal = t.total, total = t.total FROM (SELECT sum(total) AS total FROM venda_item WHERE venda_id = '${vendaId}') t
 WHERE venda_id = '${vendaId}';
INSERT INTO venda_pagamento (venda_id, sequencia, forma_pagamento_id, valor, troco)
SELECT '${vendaId}', 1, ${1 + (this.saleNumber % 6)}, total, 0 FROM venda WHERE venda_id = '${vendaId}';
UPDATE venda SET status = 'FINALIZADA', finalizada_em = now() WHERE venda_id = '${vendaId}';
COMMIT;`);
    this.sales += 1;
    return true;
  }

  async close(): Promise<void> {
    await this.db.executeScript(`
BEGIN;
INSERT INTO caixa_movimento (caixa_movimento_id, caixa_sessao_id, tipo, valor, ocorrido_em, observacao)
VALUES ('${randomUUID()}', '${this.sessionId}', 'SANGRIA', 100.0000, now(), 'Sangria para o cofre');
INSERT INTO caixa_movimento (caixa_movimento_id, caixa_sessao_id, tipo, valor, ocorrido_em, observacao)
VALUES ('${randomUUID()}', '${this.sessionId}', 'FECHAMENTO', 0, now(), 'Fechamento do caixa');
UPDATE caixa_sessao SET status = 'FECHADO', fechado_em = now() WHERE caixa_sessao_id = '${this.sessionId}';
COMMIT;`);
  }
}
