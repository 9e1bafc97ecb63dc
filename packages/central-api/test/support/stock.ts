import type { Database } from '@goldpdv/core';

/** Placeholder `n` of the database's dialect. */
export const placeholder = (db: Database, n: number): string => (db.dialect === 'mssql' ? `@p${n}` : `$${n}`);

/** A category and the products `ids`, so that stock has something to count (the harness seeds lojas 1 and 2). */
export async function seedProducts(db: Database, ids: readonly number[]): Promise<void> {
  const p = (n: number) => placeholder(db, n);
  await db.query(`INSERT INTO categoria (categoria_id, nome) VALUES (1, ${p(1)})`, ['Mercearia']);
  for (const id of ids) {
    await db.query(
      `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
       VALUES (${p(1)}, ${p(2)}, ${p(3)}, 1, 'UN', 10, '2026-11-30 08:00:00', '2026-11-30 08:00:00-03:00')`,
      [id, String(7891000000000 + id), `Produto ${id}`],
    );
  }
}

/** The stored stock of a product at a loja as an exact decimal string, or null without an estoque row. */
export async function stockOf(db: Database, lojaId: number, produtoId: number): Promise<string | null> {
  const { rows } = await db.query<{ quantidade: string }>(
    `SELECT CAST(quantidade AS varchar(40)) AS quantidade FROM estoque WHERE loja_id = ${placeholder(db, 1)} AND produto_id = ${placeholder(db, 2)}`,
    [lojaId, produtoId],
  );
  return rows[0]?.quantidade ?? null;
}

/** The movements of one source, oldest first, as (origem, produto, quantidade) strings. */
export async function movementsOf(db: Database, origemId: string): Promise<string[]> {
  const { rows } = await db.query<{ origem: string; produto_id: number; quantidade: string }>(
    `SELECT origem, produto_id, CAST(quantidade AS varchar(40)) AS quantidade FROM estoque_movimento
      WHERE origem_id = ${placeholder(db, 1)} ORDER BY movimento_id`,
    [origemId],
  );
  return rows.map((row) => `${row.origem} ${row.produto_id} ${row.quantidade}`);
}

/** Every (loja, produto) whose stored stock differs from the sum of its movements: empty when the books hold. */
export async function stockDivergences(db: Database): Promise<unknown[]> {
  return (await db.query('SELECT * FROM estoque_divergente')).rows;
}
