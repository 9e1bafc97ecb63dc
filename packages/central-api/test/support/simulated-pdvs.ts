import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChangesPage, SnapshotPage } from '@goldpdv/core';
import type { ReplicaPdv } from './replica-pair.js';

/** One change as a simulated PDV received it. */
export interface Delivery {
  table: string;
  /** The change's key as JSON. */
  key: string;
  op: 'upsert' | 'delete';
  version: string;
  lojaOfKey: number | null;
}

export interface SimulatedPdv {
  pdv: ReplicaPdv;
  /** Every change received since the snapshots, in order. */
  deliveries: Delivery[];
  /** Answers other than 200 (a 503 from a stopping replica, a 429) and transport failures, by kind. */
  refusals: Map<string, number>;
  /** A page whose toVersion lay below the version the PDV asked from: a checkpoint moved back. */
  wentBack: string[];
  /** Why a long-poll loop ended early (an answer no PDV should get), or null while both run. */
  failure(): unknown;
  /** What each table's loop did last, with the time: for a failing test's message. */
  lastStep: Map<string, string>;
  /** Stops its long polls (each abandoned request ends on the server too). Safe to call twice. */
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
}

/** A GET without keep-alive (a connection per request, so the balancer picks a replica per request). */
function get(port: number, path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const headerText = (value: string | string[] | undefined): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * A PDV's pull as pull-service does it, without the local database: it takes each table's snapshot, keeps the
 * Sync-Token handed with it (and again with every page), then long-polls each table from the snapshot's version,
 * follows cursors within a window, and moves its checkpoint to each window's toVersion. It records every change
 * it receives, so that a test can count deliveries. It never retries a page it received: what it got, it keeps.
 */
export async function startSimulatedPdv(pdv: ReplicaPdv, port: number, tables: readonly string[], waitMs: number): Promise<SimulatedPdv> {
  const abort = new AbortController();
  const deliveries: Delivery[] = [];
  const refusals = new Map<string, number>();
  const wentBack: string[] = [];
  const lastStep = new Map<string, string>();
  const now = (): string => new Date().toISOString().slice(11, 23);
  const base = { authorization: `Bearer ${pdv.token}`, 'sync-contract': '2', accept: 'application/json' };
  const refused = (kind: string): void => {
    refusals.set(kind, (refusals.get(kind) ?? 0) + 1);
  };

  /** The whole snapshot of a table, retried while no replica can serve it. */
  const snapshot = async (table: string): Promise<{ version: string; syncToken: string }> => {
    for (let attempt = 0; ; attempt++) {
      const answer = await get(port, `/v1/snapshot?table=${table}&limit=5000`, base, abort.signal).catch((error: unknown) => {
        if (attempt > 50) throw error;
        return null;
      });
      const page = answer?.json as SnapshotPage | undefined;
      const syncToken = headerText(answer?.headers['sync-token']);
      if (answer?.status === 200 && page && !page.hasMore && syncToken !== null) return { version: page.snapshotVersion, syncToken };
      if (answer && answer.status !== 503 && answer.status !== 429) throw new Error(`${pdv.pdvId}: snapshot of ${table} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
      await sleep(50);
    }
  };

  const follow = async (table: string, start: { version: string; syncToken: string }): Promise<void> => {
    let since = start.version;
    let syncToken = start.syncToken;
    let cursor: string | null = null;
    while (!abort.signal.aborted) {
      const query = new URLSearchParams({ table, since, limit: '100' });
      if (cursor !== null) query.set('cursor', cursor);
      else query.set('wait', String(waitMs));
      let answer: Answer;
      lastStep.set(table, `${now()} asked ${query}`);
      try {
        answer = await get(port, `/v1/changes?${query}`, { ...base, 'sync-token': syncToken }, abort.signal);
      } catch (error) {
        if (abort.signal.aborted) return;
        // A replica that went away mid-request: ask again, from the same checkpoint.
        refused((error as NodeJS.ErrnoException).code ?? 'transport');
        await sleep(20);
        continue;
      }
      if (answer.status !== 200) {
        refused(String(answer.status));
        if (answer.status !== 503 && answer.status !== 429) throw new Error(`${pdv.pdvId}: /v1/changes of ${table} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
        await sleep(50);
        continue;
      }
      const page = answer.json as ChangesPage;
      lastStep.set(table, `${now()} answered ${page.changes.length} changes up to ${page.toVersion}`);
      syncToken = headerText(answer.headers['sync-token']) ?? syncToken;
      for (const change of page.changes) {
        const loja = change.key.loja_id;
        deliveries.push({ table, key: JSON.stringify(change.key), op: change.op, version: change.version, lojaOfKey: typeof loja === 'number' ? loja : null });
      }
      if (page.hasMore) {
        cursor = page.nextCursor;
        continue;
      }
      if (BigInt(page.toVersion) < BigInt(since)) wentBack.push(`${table}: ${since} -> ${page.toVersion}`);
      since = page.toVersion;
      cursor = null;
    }
  };

  const starts = await Promise.all(tables.map(async (table) => [table, await snapshot(table)] as const));
  let failure: unknown = null;
  const loops = starts.map(([table, start]) =>
    follow(table, start).catch((error: unknown) => {
      failure ??= error;
      throw error;
    }),
  );
  // A loop that fails (an answer no PDV should get) is reported by stop(), not left unhandled.
  const settled = Promise.allSettled(loops);
  let stopping: Promise<void> | undefined;
  return {
    pdv,
    deliveries,
    refusals,
    wentBack,
    failure: () => failure,
    lastStep,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        const failed = (await settled).find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failed) throw failed.reason;
      })();
      return stopping;
    },
  };
}
