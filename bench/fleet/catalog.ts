import pg from 'pg';

/** The sample catalog the fleet pulls: a few categories, `products` products, and each loja's prices. */
export interface CatalogShape {
  lojas: number;
  products: number;
}

export async function seedCatalog(dbUrl: string, shape: CatalogShape): Promise<void> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO categoria (categoria_id, nome) SELECT n, 'Categoria ' || n FROM generate_series(1, 5) AS n`);
    await client.query(`INSERT INTO loja (loja_id, nome, cnpj) SELECT n, 'Loja ' || n, lpad(n::text, 14, '0') FROM generate_series(1, $1::int) AS n`, [shape.lojas]);
    await client.query(
      `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, ncm, preco_base, custo, aliquota_icms, peso_kg, criado_em, atualizado_em)
       SELECT n, lpad((7890000000000 + n)::text, 13, '0'), 'Produto ' || n, 1 + n % 5, 'UN', '19059090', 9.9900 + n, 5.0000 + n, 18.0000, 0.5000,
              now() AT TIME ZONE 'utc', now()
         FROM generate_series(1, $1::int) AS n`,
      [shape.products],
    );
    await client.query(
      `INSERT INTO preco_loja (loja_id, produto_id, preco, preco_promocional, vigencia_inicio, atualizado_em)
       SELECT l, p, 9.9900 + p, NULL, current_date, now() AT TIME ZONE 'utc'
         FROM generate_series(1, $1::int) AS l CROSS JOIN generate_series(1, $2::int) AS p`,
      [shape.lojas, shape.products],
    );
    await client.query(`INSERT INTO forma_pagamento (forma_pagamento_id, descricao, tipo) VALUES (1, 'Dinheiro', 'DINHEIRO'), (2, 'Cartão de débito', 'DEBITO')`);
    await client.query(`INSERT INTO operador (operador_id, nome, login) SELECT n, 'Operador ' || n, 'op' || n FROM generate_series(1, 10) AS n`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * One central commit the PDVs must see. Its row carries its id: a product's `descricao` reads `fleet commit <id>`;
 * a price's `preco_promocional` is `<id>.0000` (only that loja's PDVs may receive it).
 */
export interface StampedCommit {
  id: number;
  table: 'produto' | 'preco_loja';
  /** The loja whose PDVs must see it; null for every PDV. */
  lojaId: number | null;
  /** Date.now() when the commit was acknowledged. */
  committedAt: number;
}

export const PRODUCT_STAMP = /^fleet commit (\d+)$/;

/**
 * The steady stream of central commits: one every `intervalMs`, alternating a product update (every PDV sees it)
 * and a price update of one loja (only its PDVs), each a single-statement transaction.
 */
export class CommitStream {
  readonly commits: StampedCommit[] = [];
  /** The commits of warmUp, measured apart: they are not the stream's. */
  readonly warmUpCommits: StampedCommit[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private client: pg.Client | null = null;
  failures = 0;

  constructor(
    private readonly dbUrl: string,
    private readonly shape: CatalogShape,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.timer = setInterval(() => {
      this.inFlight = this.inFlight.then(() => this.commitNext(this.commits));
    }, this.intervalMs);
  }

  /**
   * `count` commits of the same kinds, `intervalMs` apart, before the stream starts: a long-running server's
   * code paths are compiled and its heap grown by earlier traffic, and these make a fresh one's so.
   */
  async warmUp(count: number, signal: AbortSignal): Promise<void> {
    await this.connect();
    for (let index = 0; index < count && !signal.aborted; index += 1) {
      await this.commitNext(this.warmUpCommits);
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }

  private async connect(): Promise<void> {
    if (this.client !== null) return;
    this.client = new pg.Client({ connectionString: this.dbUrl });
    await this.client.connect();
  }

  /** Stops the stream and waits for a commit in flight. Safe to call twice. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    const client = this.client;
    this.client = null;
    await client?.end();
  }

  private async commitNext(into: StampedCommit[]): Promise<void> {
    const client = this.client;
    if (client === null) return;
    const id = this.warmUpCommits.length + this.commits.length + this.failures + 1;
    const turn = Math.floor(id / 2);
    const produtoId = 1 + (turn % this.shape.products);
    try {
      if (id % 2 === 1) {
        await client.query(`UPDATE produto SET descricao = $1, atualizado_em = now() WHERE produto_id = $2`, [`fleet commit ${id}`, produtoId]);
        into.push({ id, table: 'produto', lojaId: null, committedAt: Date.now() });
      } else {
        const lojaId = 1 + (turn % this.shape.lojas);
        await client.query(`UPDATE preco_loja SET preco_promocional = $1, atualizado_em = now() AT TIME ZONE 'utc' WHERE loja_id = $2 AND produto_id = $3`, [
          `${id}.0000`,
          lojaId,
          produtoId,
        ]);
        into.push({ id, table: 'preco_loja', lojaId, committedAt: Date.now() });
      }
    } catch {
      this.failures += 1;
    }
  }
}
