import { setTimeout as sleep } from 'node:timers/promises';
import { CentralUnavailableError, type ChangesWaitAnswer } from '@goldpdv/core';
import type { CentralPullClient, ChangesAnswer } from './central-pull-client.js';
import type { ChangeStream } from './change-stream.js';
import type { Checkpoint } from '../db/checkpoint-store.js';

export type LongPollResult =
  /**
   * Some table has changes (or must be taken again from a snapshot): start a round now. `tables` names every
   * table the server said changed, or null when every table must be read (another incarnation of the database).
   */
  | { kind: 'changes'; table: string; tables: string[] | null; pages?: ReadonlyMap<string, ChangesAnswer> }
  /** Every request waited its full time: the server holds requests, so the next wait can start at once. */
  | { kind: 'quiet' }
  /** Answers came back early with nothing: the server does not hold requests; fall back to the poll interval. */
  | { kind: 'early' }
  | { kind: 'error'; error: unknown };

/**
 * Waits for the first change on any of the given tables. Only called once a round found every table idle, so
 * no table waits while another has work. With `stream`, on the PDV's change stream (GET /v1/changes/stream),
 * kept open from one wait to the next while the checkpoints are where the server assumes them (ChangeStream);
 * else, while streams are held back on the way (a buffering proxy), or against a central-api without them (404),
 * one request for all tables (GET /v1/changes/wait); a
 * central-api without that either (404) gets one request per table, all at once, the first that reports changes
 * cancelling the others. Each fallback is learnt once per process. Nothing fetched here is applied: the round
 * that follows fetches and applies in dependency order. With `pageLimit`, the answer carries the changed
 * tables' first pages too (`pages`, by table): the round applies them without asking again.
 */
export async function waitForChanges(
  client: CentralPullClient,
  tables: readonly { table: string; checkpoint: Checkpoint }[],
  waitMs: number,
  signal: AbortSignal,
  {
    support = processWaitSupport,
    pageLimit = null,
    stream = null,
    streamMs = 0,
  }: { support?: WaitSupport; pageLimit?: number | null; stream?: ChangeStream | null; streamMs?: number } = {},
): Promise<LongPollResult> {
  if (tables.length === 0 || signal.aborted) return { kind: 'early' };
  if (stream !== null && support.stream !== false) {
    try {
      const outcome = await stream.next(tables, waitMs, signal, pageLimit, streamMs);
      if (outcome?.kind === 'answer') return judge(outcome.answer, tables, { kind: 'early' });
      // A stream that ran its time is a quiet wait, whose incarnation still tells a PDV loaded from another database.
      if (outcome?.kind === 'ended') return judge({ changed: [], incarnation: outcome.incarnation }, tables, outcome.held ? { kind: 'quiet' } : { kind: 'early' });
      // Held back on the way (a buffering proxy): this wait goes as one request. No stream endpoint: every wait does.
      if (outcome === null) support.stream = false;
    } catch (error) {
      if (signal.aborted) return { kind: 'early' };
      await backOffAsAsked(error, signal);
      return { kind: 'error', error };
    }
  }
  if (support.oneRequest) {
    const started = Date.now();
    try {
      const waited = tables.map(({ table, checkpoint }) => ({ table, since: checkpoint.version, syncToken: checkpoint.syncToken }));
      const answer = await client.waitForAny(waited, waitMs, signal, pageLimit);
      if (answer !== null) return judge(answer, tables, quietOrEarly(started, waitMs));
      support.oneRequest = false;
    } catch (error) {
      if (signal.aborted) return { kind: 'early' };
      await backOffAsAsked(error, signal);
      return { kind: 'error', error };
    }
  }
  return waitPerTable(client, tables, waitMs, signal);
}

/** What a wait's answer means for the round that follows; `nothing`, what an answer without changes means. */
function judge(answer: ChangesWaitAnswer, tables: readonly { table: string; checkpoint: Checkpoint }[], nothing: LongPollResult): LongPollResult {
  // Loaded from another incarnation of the central database: the round's reads answer the reset.
  const reloaded = tables.find(({ checkpoint }) => answer.incarnation !== null && checkpoint.incarnation !== null && checkpoint.incarnation !== answer.incarnation);
  if (reloaded) return { kind: 'changes', table: reloaded.table, tables: null };
  if (answer.changed.length > 0) return { kind: 'changes', table: answer.changed[0]!, tables: answer.changed, pages: carriedPages(answer.pages) };
  return nothing;
}

/** The pages a wait answer carried, as the answers of GET /v1/changes they stand for. */
function carriedPages(pages: ChangesWaitAnswer['pages']): ReadonlyMap<string, ChangesAnswer> {
  return new Map((pages ?? []).map(({ page, syncToken, incarnation }) => [page.table, { kind: 'page', page, syncToken, incarnation }]));
}

/** Whether the central API answers GET /v1/changes/stream and GET /v1/changes/wait; learnt once per process (a 404 turns each off). */
export interface WaitSupport {
  /** Absent: as true. */
  stream?: boolean;
  oneRequest: boolean;
}

const processWaitSupport: WaitSupport = { stream: true, oneRequest: true };

// Most of the wait spent: the server honours `wait`. Much less: it answers at once, and looping would spin.
const quietOrEarly = (started: number, waitMs: number): LongPollResult => (Date.now() - started >= waitMs * 0.8 ? { kind: 'quiet' } : { kind: 'early' });

/** The wait of a central-api before GET /v1/changes/wait: one long poll per table. */
async function waitPerTable(
  client: CentralPullClient,
  tables: readonly { table: string; checkpoint: Checkpoint }[],
  waitMs: number,
  signal: AbortSignal,
): Promise<LongPollResult> {
  // Cancelled by the first table with changes, or by the worker's stop. Not AbortSignal.any: on Node 20 each
  // call leaves a registration on the stop signal, which lives as long as the process.
  const cancel = new AbortController();
  const onStop = () => cancel.abort(signal.reason);
  signal.addEventListener('abort', onStop, { once: true });
  const combined = cancel.signal;
  const started = Date.now();
  let changed: string | null = null;
  const requests = tables.map(async ({ table, checkpoint }) => {
    const answer = await client.changes(table, { since: checkpoint.version, cursor: null, limit: 1, waitMs, syncToken: checkpoint.syncToken }, combined);
    if (answer.kind === 'reset-required' || answer.page.changes.length > 0 || answer.page.hasMore) {
      changed ??= table;
      cancel.abort();
    }
  });
  const settled = await Promise.allSettled(requests);
  signal.removeEventListener('abort', onStop);
  if (changed !== null) return { kind: 'changes', table: changed, tables: [changed] };
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure && !signal.aborted) {
    await backOffAsAsked(failure.reason, signal);
    return { kind: 'error', error: failure.reason };
  }
  return quietOrEarly(started, waitMs);
}

/**
 * A 503 (a replica at its long-poll cap) or 429 (this PDV over its rate) with Retry-After: wait at least that
 * long, and up to twice as long at random, so that PDVs refused together do not all come back together. The
 * round that follows honours it too, per table (TableStatusBoard.postponed).
 */
async function backOffAsAsked(error: unknown, signal: AbortSignal, random: () => number = Math.random): Promise<void> {
  if (!(error instanceof CentralUnavailableError) || error.retryAfterMs === null) return;
  try {
    await sleep(Math.round(error.retryAfterMs * (1 + random())), undefined, { signal });
  } catch {
    // Stopped while waiting: the worker's stop goes on.
  }
}
