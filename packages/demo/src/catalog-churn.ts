import type { Queryable } from '@goldpdv/core';

/**
 * What the back office does all day, one round per call: reprices products in both stores, edits products,
 * adds new ones and retires some never bought nor sold (their store prices go first, as the foreign keys demand).
 */
export class CatalogChurn {
  private nextProductId: number;
  rounds = 0;

  constructor(private readonly db: Queryable, firstFreeProductId: number) {
    this.nextProductId = firstFreeProductId;
  }

  async round(): Promise<void> {
    this.rounds += 1;
    const id = this.nextProductId;
    this.nextProductId += 3;
    const seed = this.rounds * 37;
    await this.db.executeScript(`
BEGIN;
UPDATE preco_loja SET preco = round(preco * 1.0125, 4), atualizado_em = now()
 WHERE produto_id IN (SELECT produto_id FROM produto WHERE produto_id % 97 = ${seed % 97} LIMIT 60);
UPDATE produto SET descricao = left(descricao, 180) || ' (revisão ${this.rounds})', atualizado_em = now()
 WHERE produto_id IN (SELECT produto_id FROM produto WHERE produto_id % 89 = ${seed % 89} LIMIT 20);
INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, aliquota_icms, criado_em, atualizado_em)
SELECT g, lpad((7899000000000 + g)::text, 13, '0'), 'Lançamento açaí nº ' || g, 1 + g % 20, 'UN', round((g % 5000 / 100.0 + 0.99)::numeric, 4), 12.0000, now(), now()
FROM generate_series(${id}, ${id + 2}) g;
INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em)
SELECT l, g, round((g % 5000 / 100.0 + 1.49)::numeric, 4), current_date, now() FROM generate_series(${id}, ${id + 2}) g CROSS JOIN generate_series(1, 2) l;
CREATE TEMP TABLE retired ON COMMIT DROP AS
SELECT min(produto_id) + ${seed % 50} AS produto_id FROM produto;
-- A product whose stock ever moved keeps its history: only one never bought nor sold is deleted.
DELETE FROM retired r WHERE EXISTS (SELECT 1 FROM estoque_movimento m WHERE m.produto_id = r.produto_id);
DELETE FROM preco_loja WHERE produto_id IN (SELECT produto_id FROM retired);
DELETE FROM produto WHERE produto_id IN (SELECT produto_id FROM retired);
COMMIT;`);
  }
}
