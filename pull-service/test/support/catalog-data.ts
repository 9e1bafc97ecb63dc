import type { Database } from '@goldpdv/core';
import type { CentralRig } from './central-rig.js';

/** Writes and reads of the sample catalog, the same on the central database and on the PDV replica. */

export async function insertProduto(central: CentralRig, id: number, options: { categoria?: number; preco?: string; descricao?: string; imagem?: Buffer | null } = {}): Promise<void> {
  await central.exec(
    `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, ncm, preco_base, custo, aliquota_icms, peso_kg, ativo, imagem, criado_em, atualizado_em)
     VALUES ($1, $2, $3, $4, 'UN', '22030000', $5, $6, '18.0000', NULL, $7, $8, $9, $10)`,
    [
      id,
      String(7890000000000 + id),
      options.descricao ?? `Cerveja ${id} — pão de açúcar 🍺`,
      options.categoria ?? 1,
      options.preco ?? `${id}.${String(id % 10000).padStart(4, '0')}`,
      id % 3 === 0 ? null : '1234567.8912',
      id % 2 === 0,
      options.imagem === undefined ? (id % 4 === 0 ? Buffer.from([0, 1, 2, 253, 254, 255, id % 256]) : null) : options.imagem,
      `2026-11-30T10:15:${String(id % 60).padStart(2, '0')}.123456`,
      `2026-11-30T10:15:00.654321-03:00`,
    ],
  );
}

export async function insertCatalog(central: CentralRig, produtos: number): Promise<void> {
  await central.exec(`INSERT INTO categoria (categoria_id, nome) VALUES (1, 'Bebidas'), (2, 'Padaria'), (3, 'Açougue')`);
  for (let id = 1; id <= produtos; id++) await insertProduto(central, id, { categoria: 1 + (id % 3) });
  for (let id = 1; id <= produtos; id += 2) {
    for (const loja of [1, 2]) {
      await central.exec(`INSERT INTO preco_loja (loja_id, produto_id, preco, preco_promocional, vigencia_inicio, vigencia_fim, atualizado_em) VALUES ($1, $2, $3, NULL, '2026-01-01', NULL, '2026-01-01T00:00:00.5')`, [loja, id, `${loja}${id}.9900`]);
    }
  }
  await central.exec(`INSERT INTO cliente (cliente_id, nome, cpf_cnpj, email, limite_credito, data_nascimento, criado_em) VALUES
    ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'José da Conceição', '12345678901', 'jose@exemplo.com.br', '922337203685477.5807', '1980-02-29', '2026-01-01T00:00:00.000001'),
    ('ffffffff-ffff-ffff-ffff-ffffffffffff', 'Maria Ângela', NULL, NULL, NULL, NULL, '2026-01-01T00:00:00')`);
  await central.exec(`INSERT INTO forma_pagamento (forma_pagamento_id, descricao, tipo, taxa_percentual, ativa) VALUES (1, 'Dinheiro', 'DINHEIRO', '0.0000', true), (2, 'Cartão de crédito', 'CARTAO', '2.4900', true)`);
  await central.exec(`INSERT INTO operador (operador_id, nome, login, inicio_turno, ativo) VALUES (1, 'Ana', 'ana', '08:00:00', true), (2, 'Bruno', 'bruno', NULL, false)`);
}

const KEYS: Record<string, string> = {
  categoria: 'categoria_id',
  produto: 'produto_id',
  loja: 'loja_id',
  preco_loja: 'loja_id, produto_id',
  cliente: 'cliente_id',
  forma_pagamento: 'forma_pagamento_id',
  operador: 'operador_id',
};
export const CATALOG_TABLES = Object.keys(KEYS);

/** Every row of a catalog table in key order; `lojaId` keeps only that loja's prices, as the filter does. */
export async function dumpTable(db: Database, table: string, lojaId?: number): Promise<Record<string, unknown>[]> {
  const where = table === 'preco_loja' && lojaId !== undefined ? ` WHERE loja_id = ${Number(lojaId)}` : '';
  return (await db.query<Record<string, unknown>>(`SELECT * FROM ${table}${where} ORDER BY ${KEYS[table]}`)).rows;
}

export async function expectSameCatalog(central: Database, local: Database, lojaId: number, expectEqual: (a: unknown, b: unknown, table: string) => void): Promise<void> {
  for (const table of CATALOG_TABLES) expectEqual(await dumpTable(local, table), await dumpTable(central, table, lojaId), table);
}
