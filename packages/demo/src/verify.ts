import type { Queryable } from '@goldpdv/core';

/** The catalog tables and the key that orders them for a fingerprint. */
const CATALOG: readonly { table: string; key: string; filteredByLoja?: boolean }[] = [
  { table: 'categoria', key: 'categoria_id' },
  { table: 'loja', key: 'loja_id' },
  { table: 'forma_pagamento', key: 'forma_pagamento_id' },
  { table: 'operador', key: 'operador_id' },
  { table: 'cliente', key: 'cliente_id' },
  { table: 'produto', key: 'produto_id' },
  { table: 'preco_loja', key: 'loja_id, produto_id', filteredByLoja: true },
];
/** Stock per store: pulled by the PDV daemons of this release (an earlier release's mapping does not list it). */
const STOCK = { table: 'estoque', key: 'loja_id, produto_id', filteredByLoja: true };

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** md5 of every row's text form in key order: equal fingerprints mean equal tables, value for value. */
async function fingerprint(db: Queryable, table: string, key: string, where = 'true'): Promise<{ rows: number; md5: string }> {
  const { rows } = await db.query<{ n: string; md5: string | null }>(
    `SELECT count(*) AS n, md5(string_agg(t::text, E'\\n' ORDER BY ${key})) AS md5 FROM ${table} t WHERE ${where}`,
  );
  return { rows: Number(rows[0]!.n), md5: rows[0]!.md5 ?? 'empty' };
}

/** Each catalog table of the PDV equals the central one (for store prices: the PDV's own store only). */
export async function checkCatalog(pdvId: string, lojaId: number, pdv: Queryable, central: Queryable, withStock = true): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const { table, key, filteredByLoja } of withStock ? [...CATALOG, STOCK] : CATALOG) {
    const where = filteredByLoja ? `loja_id = ${lojaId}` : 'true';
    const [mine, theirs] = await Promise.all([fingerprint(pdv, table, key), fingerprint(central, table, key, where)]);
    const ok = mine.md5 === theirs.md5 && mine.rows === theirs.rows;
    results.push({ name: `${pdvId} ${table}`, ok, detail: ok ? `${mine.rows} rows identical` : `PDV ${mine.rows} rows vs central ${theirs.rows} rows (fingerprints differ)` });
  }
  return results;
}

/** Every finalised sale of the PDV was applied centrally exactly once, with the same total. */
export async function checkSales(pdvId: string, pdv: Queryable, central: Queryable): Promise<CheckResult[]> {
  const local = await pdv.query<{ n: string; total: string | null }>(`SELECT count(*) AS n, sum(total)::text AS total FROM venda WHERE status = 'FINALIZADA'`);
  const remote = await central.query<{ n: string; distinct_ids: string; total: string | null }>(
    `SELECT count(*) AS n, count(DISTINCT venda_id) AS distinct_ids, sum(total)::text AS total FROM venda_central WHERE pdv_id = $1`,
    [pdvId],
  );
  const events = await pdv.query<{ n: string }>(`SELECT count(*) AS n FROM sync_outbox`);
  const inbox = await central.query<{ n: string }>(`SELECT count(*) AS n FROM sync_inbox WHERE pdv_id = $1`, [pdvId]);
  const dead = await pdv.query<{ n: string }>(`SELECT count(*) AS n FROM sync_dead_letter`);
  const l = local.rows[0]!;
  const r = remote.rows[0]!;
  return [
    {
      name: `${pdvId} sales`,
      ok: l.n === r.n && r.n === r.distinct_ids && l.total === r.total,
      detail: `PDV ${l.n} sales totalling ${l.total ?? '0'}; central ${r.n} (${r.distinct_ids} distinct) totalling ${r.total ?? '0'}`,
    },
    {
      name: `${pdvId} events`,
      ok: events.rows[0]!.n === inbox.rows[0]!.n && dead.rows[0]!.n === '0',
      detail: `${events.rows[0]!.n} events in the outbox, ${inbox.rows[0]!.n} in the central inbox, ${dead.rows[0]!.n} dead letters`,
    },
  ];
}

/** Central stock equals the stock recomputed from its movements, for every store and product. */
export async function checkStock(central: Queryable): Promise<CheckResult> {
  const divergent = await central.query<{ loja_id: number; produto_id: number }>('SELECT loja_id, produto_id FROM estoque_divergente LIMIT 5');
  const totals = await central.query<{ rows: string; movements: string; sales: string; purchases: string }>(
    `SELECT (SELECT count(*) FROM estoque) AS rows, count(*) AS movements,
            count(*) FILTER (WHERE origem = 'sale') AS sales, count(*) FILTER (WHERE origem = 'purchase') AS purchases
       FROM estoque_movimento`,
  );
  const t = totals.rows[0]!;
  const ok = divergent.rows.length === 0 && Number(t.sales) > 0 && Number(t.purchases) > 0;
  return {
    name: 'central stock',
    ok,
    detail: divergent.rows.length === 0
      ? `${t.rows} stock rows equal to their ${t.movements} movements (${t.sales} from sales, ${t.purchases} from purchases)`
      : `stock differs from its movements at (loja, produto) ${divergent.rows.map((r) => `(${r.loja_id}, ${r.produto_id})`).join(', ')}`,
  };
}
