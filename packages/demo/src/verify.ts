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
export async function checkCatalog(pdvId: string, lojaId: number, pdv: Queryable, central: Queryable): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const { table, key, filteredByLoja } of CATALOG) {
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
