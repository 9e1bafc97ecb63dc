import { randomUUID } from 'node:crypto';
import { tokenHash, type Queryable } from '@goldpdv/core';

/**
 * The back office (Escritório) writing through central-api's back-office routes with its own credential: price
 * changes as cadastros, purchases as compras. What it writes reaches the PDVs like any central change.
 */
export class BackOffice {
  priceChanges = 0;
  purchases = 0;
  private round = 0;

  private constructor(private readonly centralUrl: string, private readonly token: string) {}

  /** Registers a back-office client in the central database, as `central-api backoffice add` does. */
  static async register(central: Queryable, centralUrl: string): Promise<BackOffice> {
    const token = `gpdv_${randomUUID().replaceAll('-', '')}`;
    await central.query('INSERT INTO sync_backoffice_client (name, token_hash) VALUES ($1, $2)', ['escritorio-demo', tokenHash(token)]);
    return new BackOffice(centralUrl, token);
  }

  /** One price change of a product in both stores, and a purchase of a few products for each store. */
  async work(produtoIds: readonly number[]): Promise<void> {
    if (produtoIds.length === 0) return;
    this.round += 1;
    const produtoId = produtoIds[this.round % produtoIds.length]!;
    const preco = (5 + (this.round % 40) * 0.25).toFixed(4);
    await this.post('/v1/backoffice/cadastros', {
      operations: [1, 2].map((lojaId) => ({
        table: 'preco_loja',
        action: 'update',
        row: { loja_id: lojaId, produto_id: produtoId, preco, atualizado_em: new Date().toISOString().slice(0, 23) },
      })),
    });
    this.priceChanges += 1;
    for (const lojaId of [1, 2]) {
      const items = [0, 1, 2].map((offset) => ({ product: produtoIds[(this.round * 3 + offset) % produtoIds.length]!, quantity: '24', cost: '3.5000' }));
      const unique = items.filter((item, index) => items.findIndex((other) => other.product === item.product) === index);
      await this.post('/v1/backoffice/compras', { id: `NF-${this.round}-${lojaId}`, loja: lojaId, items: unique });
      this.purchases += 1;
    }
  }

  private async post(path: string, body: unknown): Promise<void> {
    const key = randomUUID();
    const init = { method: 'POST', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) };
    let response = await fetch(`${this.centralUrl}${path}`, init);
    // A replay under the same key is how a back office retries: it must answer the stored response.
    if (response.status >= 500) response = await fetch(`${this.centralUrl}${path}`, init);
    if (response.status >= 300) throw new Error(`back office ${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
}
