import type { Database } from '@goldpdv/core';

/**
 * The central catalog changing at random, as a model run needs it: single and multi-row transactions that
 * insert, update and delete products and both lojas' prices, updates of categoria that move the serving epoch
 * without touching the pulled tables, and transactions held open across many reads, which hold the settled
 * bound back while later ones commit.
 */
export interface ModelWrite {
  sql: string;
  params: unknown[];
}

const INSERT_PRODUTO = `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
  VALUES ($1, $2, $3, 1, 'UN', '1.0000', '2026-01-01T08:00:00', '2026-01-01T08:00:00+00:00')`;
const INSERT_PRECO = `INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em) VALUES ($1, $2, $3, '2026-01-01', '2026-01-01T08:00:00')`;

export class ModelWrites {
  private counter = 0;
  private readonly products = new Set<number>();
  private readonly prices = new Set<string>();
  /** The rows held-open transactions write (prices of products 5..12, fresh products): no other write waits on them. */
  private readonly heldPrices = [1, 2].flatMap((loja) => [5, 6, 7, 8, 9, 10, 11, 12].map((produto) => [loja, produto] as const));
  private readonly held: { release: () => void; done: Promise<void>; untilStep: number }[] = [];

  constructor(
    private readonly db: Database,
    private readonly random: () => number,
  ) {}

  get heldOpen(): number {
    return this.held.length;
  }

  /** One transaction of 1 to `most` writes, committed now. */
  async commit(most: number): Promise<void> {
    const writes = Array.from({ length: 1 + Math.floor(this.random() * most) }, () => this.next());
    await this.db.transaction(async (tx) => {
      for (const { sql, params } of writes) await tx.query(sql, params as never);
    });
  }

  /** A transaction that writes now and commits when step `untilStep` begins (releaseDue). */
  holdOpen(untilStep: number, count: number): void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writes = Array.from({ length: count }, () => this.nextHeld());
    const done = this.db.transaction(async (tx) => {
      for (const { sql, params } of writes) await tx.query(sql, params as never);
      await gate;
    });
    this.held.push({ release, done, untilStep });
  }

  /** Commits the held transactions due by `step` (all of them without one). */
  async releaseDue(step = Number.POSITIVE_INFINITY): Promise<void> {
    for (const entry of this.held.filter(({ untilStep }) => untilStep <= step)) {
      entry.release();
      await entry.done;
      this.held.splice(this.held.indexOf(entry), 1);
    }
  }

  private next(): ModelWrite {
    this.counter += 1;
    const n = this.counter;
    if (this.random() < 0.15) return { sql: 'UPDATE categoria SET nome = $1 WHERE categoria_id = 1', params: [`Mercearia ${n}`] };
    if (this.random() < 0.45) {
      const id = 1000 + Math.floor(this.random() * 8);
      if (!this.products.has(id)) {
        this.products.add(id);
        return { sql: INSERT_PRODUTO, params: [id, String(7890000000000 + id), `P${id} v${n}`] };
      }
      if (this.random() < 0.3) {
        this.products.delete(id);
        return { sql: 'DELETE FROM produto WHERE produto_id = $1', params: [id] };
      }
      return { sql: 'UPDATE produto SET descricao = $2 WHERE produto_id = $1', params: [id, `P${id} v${n}`] };
    }
    const loja = this.random() < 0.5 ? 1 : 2;
    const produto = 1 + Math.floor(this.random() * 4);
    const key = `${loja}/${produto}`;
    if (!this.prices.has(key)) {
      this.prices.add(key);
      return { sql: INSERT_PRECO, params: [loja, produto, `${n}.0000`] };
    }
    if (this.random() < 0.3) {
      this.prices.delete(key);
      return { sql: 'DELETE FROM preco_loja WHERE loja_id = $1 AND produto_id = $2', params: [loja, produto] };
    }
    return { sql: 'UPDATE preco_loja SET preco = $3 WHERE loja_id = $1 AND produto_id = $2', params: [loja, produto, `${n}.0000`] };
  }

  private nextHeld(): ModelWrite {
    this.counter += 1;
    const n = this.counter;
    if (this.heldPrices.length > 0 && this.random() < 0.6) {
      const [loja, produto] = this.heldPrices.splice(Math.floor(this.random() * this.heldPrices.length), 1)[0]!;
      return { sql: INSERT_PRECO, params: [loja, produto, `${n}.0000`] };
    }
    const id = 2000 + n;
    return { sql: INSERT_PRODUTO, params: [id, String(7890000000000 + id), `P${id} open`] };
  }
}
