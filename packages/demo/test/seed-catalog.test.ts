import { expect, it } from 'vitest';
import { applySchema } from '@goldpdv/core';
import { createPgliteDatabase } from '@goldpdv/core/pglite';
import { seedCentralCatalog, seedReferenceData, seedStores } from '../src/seed-catalog.js';

it('seeds product ids far past the int4 range of its price arithmetic, with the same decimals as below it', async () => {
  const db = await createPgliteDatabase({ kind: 'pglite', dataDir: null });
  try {
    await applySchema(db, { role: 'central' });
    await seedStores(db);
    await seedReferenceData(db, 2);
    // Products 100,001..100,003 only: g * 104729 overflows int4 from g = 20,506 on.
    await seedCentralCatalog(db, { products: 100_003, customers: 0 }, 100_001);
    const { rows } = await db.query<{ produto_id: number; preco_base: string; custo: string }>('SELECT produto_id, preco_base, custo FROM produto WHERE produto_id > 2 ORDER BY produto_id');
    const expected = [100_001n, 100_002n, 100_003n].map((g) => ({
      produto_id: Number(g),
      preco_base: (1 + Number((g * 7919n) % 50000n) / 100).toFixed(4),
      custo: (0.5 + Number((g * 104729n) % 30000n) / 100).toFixed(4),
    }));
    expect(rows).toEqual(expected);
    const prices = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM preco_loja WHERE produto_id > 100000');
    expect(prices.rows[0]!.n).toBe(6);
  } finally {
    await db.close();
  }
});
