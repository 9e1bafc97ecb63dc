import type { SqlParams } from '@goldpdv/core';
import type { Delivery, SimulatedPdv } from './simulated-pdvs.js';
import type { Replica, ReplicaPair } from './replica-pair.js';
import { until } from './until.js';

/** One change a commit makes, as a PDV should receive it. */
export interface ExpectedChange {
  table: 'produto' | 'preco_loja';
  key: Record<string, number>;
  op: 'upsert' | 'delete';
}

export interface PlannedCommit {
  statements: { sql: string; params?: SqlParams }[];
  changes: ExpectedChange[];
  /** How many served tables it changes. */
  tables: number;
}

/** The products the commits make start here, above any the tests seed. */
const FIRST_PRODUCT = 1_000;

/**
 * The k-th commit of a series, one transaction each, cycling through a product's life: created with a price in
 * both lojas; loja 1's price changed; renamed and loja 2's price removed; loja 1's price and the product removed.
 * Every change of the series is another row or another operation than the commits around it, so that a PDV that
 * keeps up receives each commit as one window of its own.
 */
export function plannedCommit(k: number): PlannedCommit {
  const produto = FIRST_PRODUCT + k - (k % 4);
  const preco = (loja: number) => ({ loja_id: loja, produto_id: produto });
  switch (k % 4) {
    case 0:
      return {
        statements: [
          {
            sql: `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
                  VALUES ($1, $2, $3, 1, 'UN', '10.5000', '2026-01-01T08:00:00', '2026-01-01T08:00:00+00:00')`,
            params: [produto, String(7890000000000 + produto), `Produto ${produto} ção`],
          },
          ...[1, 2].map((loja) => ({
            sql: `INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em) VALUES ($1, $2, $3, '2026-01-01', '2026-01-01T08:00:00')`,
            params: [loja, produto, `${loja}.${String(k).padStart(4, '0')}`],
          })),
        ],
        changes: [{ table: 'produto', key: { produto_id: produto }, op: 'upsert' }, ...[1, 2].map((loja) => ({ table: 'preco_loja' as const, key: preco(loja), op: 'upsert' as const }))],
        tables: 2,
      };
    case 1:
      return {
        statements: [{ sql: `UPDATE preco_loja SET preco = $1 WHERE loja_id = 1 AND produto_id = $2`, params: [`9.${String(k).padStart(4, '0')}`, produto] }],
        changes: [{ table: 'preco_loja', key: preco(1), op: 'upsert' }],
        tables: 1,
      };
    case 2:
      return {
        statements: [
          { sql: `UPDATE produto SET descricao = $1 WHERE produto_id = $2`, params: [`Produto ${produto} renomeado`, produto] },
          { sql: `DELETE FROM preco_loja WHERE loja_id = 2 AND produto_id = $1`, params: [produto] },
        ],
        changes: [
          { table: 'produto', key: { produto_id: produto }, op: 'upsert' },
          { table: 'preco_loja', key: preco(2), op: 'delete' },
        ],
        tables: 2,
      };
    default:
      return {
        statements: [
          { sql: `DELETE FROM preco_loja WHERE produto_id = $1`, params: [produto] },
          { sql: `DELETE FROM produto WHERE produto_id = $1`, params: [produto] },
        ],
        changes: [
          { table: 'preco_loja', key: preco(1), op: 'delete' },
          { table: 'produto', key: { produto_id: produto }, op: 'delete' },
        ],
        tables: 2,
      };
  }
}

/** What a PDV of `lojaId` must receive of a commit: everything but another loja's prices. */
export function meantFor(lojaId: number, changes: readonly ExpectedChange[]): string[] {
  return changes.filter((change) => change.table !== 'preco_loja' || change.key.loja_id === lojaId).map(tripleOf).sort();
}

const tripleOf = (change: { table: string; key: Record<string, number> | string; op: string }): string =>
  `${change.table} ${typeof change.key === 'string' ? change.key : JSON.stringify(change.key)} ${change.op}`;

export interface CommitFigures {
  k: number;
  tables: number;
  /** goldpdv_shared_page_reads_total's increase on each live replica over the commit. */
  readsPerReplica: number[];
  version: string;
}

export interface FleetRun {
  pair: ReplicaPair;
  pdvs: SimulatedPdv[];
  /** The replicas that take requests: their long polls are counted to know every PDV waits again. */
  live: Replica[];
  /** Tables each PDV long-polls. */
  tablesPerPdv: number;
  /** Other requests that may be waiting besides the PDVs' (a pull-service worker on the same replicas). */
  otherWaiters?: number;
}

/**
 * Makes commits k = from .. from+count-1, one at a time. After each it waits until every PDV has received what the
 * commit meant for it and every PDV waits again, then checks what each PDV received since the commit before:
 * exactly the commit's changes for its loja, each once, all at the commit's one version, the same version for
 * every PDV. Returns each commit's database reads per replica, from the replicas' /metrics.
 */
export async function commitAndCheck(run: FleetRun, from: number, count: number): Promise<CommitFigures[]> {
  const figures: CommitFigures[] = [];
  const seen = new Map<SimulatedPdv, number>(run.pdvs.map((pdv) => [pdv, pdv.deliveries.length]));
  await untilAllWait(run);
  for (let k = from; k < from + count; k++) {
    const plan = plannedCommit(k);
    const before = await Promise.all(run.live.map((replica) => replica.figures()));
    await run.pair.commit(plan.statements);
    const received = (pdv: SimulatedPdv): Delivery[] => pdv.deliveries.slice(seen.get(pdv));
    await until(() => {
      const failed = run.pdvs.find((pdv) => pdv.failure() !== null);
      if (failed) throw failed.failure();
      return run.pdvs.every((pdv) => {
        const got = new Set(received(pdv).map(tripleOf));
        return meantFor(pdv.pdv.lojaId, plan.changes).every((triple) => got.has(triple));
      });
    }, `every PDV to receive commit ${k}`, 20_000);
    await untilAllWait(run);
    const after = await Promise.all(run.live.map((replica) => replica.figures()));
    const versions = new Set<string>();
    for (const pdv of run.pdvs) {
      const got = received(pdv);
      // Exactly what was meant for this PDV: nothing missing, nothing twice, nothing of another loja.
      if (JSON.stringify(got.map(tripleOf).sort()) !== JSON.stringify(meantFor(pdv.pdv.lojaId, plan.changes))) {
        throw new Error(`${pdv.pdv.pdvId} (loja ${pdv.pdv.lojaId}) received for commit ${k}: ${JSON.stringify(got)}; expected ${JSON.stringify(meantFor(pdv.pdv.lojaId, plan.changes))}`);
      }
      for (const delivery of got) versions.add(delivery.version);
      seen.set(pdv, pdv.deliveries.length);
    }
    // One transaction, one version, and every PDV was served the same one.
    if (versions.size !== 1) throw new Error(`commit ${k} reached the PDVs at versions ${[...versions].join(', ')}`);
    figures.push({ k, tables: plan.tables, readsPerReplica: after.map((figure, index) => figure.reads - before[index]!.reads), version: [...versions][0]! });
  }
  return figures;
}

/** Every PDV is back in a long poll on every table it follows, on the live replicas. */
async function untilAllWait(run: FleetRun): Promise<void> {
  const expected = run.pdvs.length * run.tablesPerPdv;
  let waiting: number[] = [];
  try {
    await until(async () => {
      const failed = run.pdvs.find((pdv) => pdv.failure() !== null);
      if (failed) throw failed.failure();
      // /metrics is what is polled here: not every 5 ms.
      await new Promise((resolve) => setTimeout(resolve, 100));
      waiting = (await Promise.all(run.live.map((replica) => replica.figures()))).map((figure) => figure.waiting);
      // A pull-service worker sharing the replicas waits with one request of its own, when it is between rounds.
      const total = waiting.reduce((sum, count) => sum + count, 0);
      return total >= expected && total <= expected + (run.otherWaiters ?? 0);
    }, `${expected} long polls to wait`, 30_000);
  } catch (error) {
    const refusals = run.pdvs.filter((pdv) => pdv.refusals.size > 0).map((pdv) => `${pdv.pdv.pdvId}: ${JSON.stringify([...pdv.refusals])}`);
    const steps = run.pdvs.map((pdv) => `${pdv.pdv.pdvId}: ${JSON.stringify([...pdv.lastStep])}`);
    throw new Error(`${expected} long polls were expected to wait; the replicas had ${waiting.join(' + ')} at ${new Date().toISOString().slice(11, 23)}. Refusals: ${refusals.join('; ') || 'none'}. Last steps:\n${steps.join('\n')}`, { cause: error });
  }
}
