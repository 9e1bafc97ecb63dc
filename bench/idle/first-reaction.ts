import type { Queryable } from '../../packages/core/src/index.js';
import { PDV, type IdleRig } from './idle-rig.js';

const PROBE_EVERY_MS = 20;

/** Polls `probe` until it holds; the milliseconds from `since`. */
async function msUntil(since: number, probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  for (;;) {
    if (await probe()) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs / 1_000} s`);
    await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
  }
}

async function count(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
}

/**
 * A new sale on the till (its tables' capture triggers fill the outbox pipeline as the POS would): milliseconds
 * from its commit to its sale row at central (the central handler writes it in the ingest transaction).
 */
export async function saleReactionMs(rig: IdleRig, timeoutMs: number): Promise<number> {
  const centralSales = 'SELECT count(*) AS n FROM venda_central WHERE pdv_id = $1';
  const before = await count(rig.central.db, centralSales, [PDV.pdvId]);
  if (!(await rig.till.ringUpSale())) throw new Error('the PDV has no products to sell');
  const committed = performance.now();
  return msUntil(committed, async () => (await count(rig.central.db, centralSales, [PDV.pdvId])) > before, timeoutMs, 'a new sale reaching central');
}

/** A product renamed centrally (as the back office does): milliseconds from its commit to the new name on the PDV. */
export async function catalogReactionMs(rig: IdleRig, round: number, timeoutMs: number): Promise<number> {
  const name = `Produto renomeado ${Date.now()}-${round}`;
  const { rows } = await rig.central.db.query<{ produto_id: number }>('SELECT produto_id FROM produto ORDER BY produto_id LIMIT 1 OFFSET $1', [round % 40]);
  const id = rows[0]!.produto_id;
  await rig.central.db.query('UPDATE produto SET descricao = $1, atualizado_em = now() WHERE produto_id = $2', [name, id]);
  const committed = performance.now();
  return msUntil(committed, async () => (await count(rig.pdv.db, 'SELECT count(*) AS n FROM produto WHERE produto_id = $1 AND descricao = $2', [id, name])) === 1, timeoutMs, 'a central product change reaching the PDV');
}

export interface ReactionSummary {
  samples: number[];
  medianMs: number;
  maxMs: number;
}

export function summarise(samples: number[]): ReactionSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { samples: samples.map(Math.round), medianMs: Math.round(medianMs), maxMs: Math.round(sorted.at(-1)!) };
}
