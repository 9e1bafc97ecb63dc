import type { Queryable } from '@goldpdv/core';

export interface CatalogSize {
  products: number;
  customers: number;
}

/**
 * The sample catalog is seeded in three steps (stores, reference data with a few products, the rest), so
 * that the first rows reach the PDVs while the bulk is still being written, as in a live back office.
 */

/** The small part of the catalog that the first PDV sync can show within seconds: reference data and a few products. */
export async function seedReferenceData(db: Queryable, firstProducts: number): Promise<void> {
  await db.executeScript(`
INSERT INTO categoria (categoria_id, nome)
SELECT g, (ARRAY['Padaria','Laticínios','Hortifrúti','Açougue','Bebidas','Limpeza','Higiene','Mercearia','Congelados','Pet'])[1 + (g - 1) % 10] || ' ' || g
FROM generate_series(1, 20) g;
INSERT INTO forma_pagamento (forma_pagamento_id, descricao, tipo, taxa_percentual) VALUES
  (1, 'Dinheiro', 'DINHEIRO', 0), (2, 'Cartão de débito', 'DEBITO', 1.2900), (3, 'Cartão de crédito', 'CREDITO', 3.4900),
  (4, 'PIX', 'PIX', 0.9900), (5, 'Vale-refeição', 'VOUCHER', 6.5000), (6, 'Crediário', 'CREDIARIO', 0);
INSERT INTO operador (operador_id, nome, login, inicio_turno)
SELECT g, 'Operador(a) ' || g, 'op' || g, make_time(6 + g % 12, 0, 0) FROM generate_series(1, 10) g;
${productsSql(1, firstProducts)}`);
}

/** The two stores; the PDVs registered centrally belong to them. */
export async function seedStores(db: Queryable): Promise<void> {
  await db.executeScript(`INSERT INTO loja (loja_id, nome, cnpj) VALUES (1, 'Loja Centro - São Paulo', '12345678000101'), (2, 'Loja Praia - Florianópolis', '12345678000282')`);
}

/**
 * The rest of a realistic sample catalog, generated in SQL so that thousands of rows take one statement each:
 * products with exact decimals and accented names and their prices in both stores, and customers.
 */
export async function seedCentralCatalog(db: Queryable, size: CatalogSize, firstProduct = 1): Promise<void> {
  // In chunks: embedded PGlite runs one statement at a time, and the PDVs' pulls get their turn in between.
  for (let from = firstProduct; from <= size.products; from += 500) await db.executeScript(productsSql(from, Math.min(from + 499, size.products)));
  await db.executeScript(`
INSERT INTO cliente (cliente_id, nome, cpf_cnpj, email, limite_credito, data_nascimento, criado_em)
SELECT md5('cliente' || g)::uuid, 'Cliente ' || g || ' da Conceição', lpad(g::text, 11, '0'), 'cliente' || g || '@exemplo.com.br',
  round((g % 100 * 50)::numeric, 4), date '1960-01-01' + g * 7, now()
FROM generate_series(1, ${size.customers}) g;
`);
}

/** Products from..to with their prices in both stores. The price arithmetic is bigint: g * 104729 passes int4 at g = 20,506. */
function productsSql(from: number, to: number): string {
  return `
INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, ncm, preco_base, custo, aliquota_icms, peso_kg, criado_em, atualizado_em)
SELECT g, lpad((7890000000000 + g)::text, 13, '0'),
  (ARRAY['Pão francês','Queijo minas','Maçã gala','Café torrado','Açúcar cristal','Feijão carioca','Sabão em pó','Pão de queijo','Guaraná','Pêssego em calda'])[1 + g % 10] || ' nº ' || g,
  1 + g % 20, (ARRAY['UN','KG','CX','LT'])[1 + g % 4], lpad((10000000 + g)::text, 8, '0'),
  round((1 + (g::bigint * 7919) % 50000 / 100.0)::numeric, 4), round((0.5 + (g::bigint * 104729) % 30000 / 100.0)::numeric, 4), 18.0000,
  CASE WHEN g % 4 = 1 THEN round((g % 1000 / 100.0)::numeric, 4) END,
  timestamp '2026-01-01 08:00:00' + g * interval '1 minute 0.123456 second', now()
FROM generate_series(${from}, ${to}) g;
INSERT INTO preco_loja (loja_id, produto_id, preco, preco_promocional, vigencia_inicio, atualizado_em)
SELECT l, p.produto_id, round(p.preco_base * (1 + l * 0.05), 4), CASE WHEN p.produto_id % 7 = 0 THEN round(p.preco_base * 0.9, 4) END,
  date '2026-11-01', now()
FROM produto p CROSS JOIN generate_series(1, 2) l WHERE p.produto_id BETWEEN ${from} AND ${to};
`;
}
