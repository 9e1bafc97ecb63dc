import type { CentralPullClient } from './central-pull-client.js';
import type { Checkpoint } from './checkpoint-store.js';

export type LongPollResult =
  /** Some table has changes (or must be re-initialised): start a round now. */
  | { kind: 'changes'; table: string }
  /** Every request waited its full time: the server holds requests, so the next wait can start at once. */
  | { kind: 'quiet' }
  /** Answers came back early with nothing: the server does not hold requests; fall back to the poll interval. */
  | { kind: 'early' }
  | { kind: 'error'; error: unknown };

/**
 * Waits for the first change on any of the given tables. Only called once a round found every table idle, so
 * no table waits while another has work. One request per table, all at once; the first that reports changes
 * cancels the others. Pages fetched here are not applied (they ask for one row): the round that follows
 * fetches and applies in dependency order.
 */
export async function waitForChanges(
  client: CentralPullClient,
  tables: readonly { table: string; checkpoint: Checkpoint }[],
  waitMs: number,
  signal: AbortSignal,
): Promise<LongPollResult> {
  if (tables.length === 0 || signal.aborted) return { kind: 'early' };
  // Cancelled by the first table with changes, or by the worker's stop. Not AbortSignal.any: on Node 20 each
  // call leaves a registration on the stop signal, which lives as long as the process.
  const cancel = new AbortController();
  const onStop = () => cancel.abort(signal.reason);
  signal.addEventListener('abort', onStop, { once: true });
  const combined = cancel.signal;
  const started = Date.now();
  let changed: string | null = null;
  const requests = tables.map(async ({ table, checkpoint }) => {
    const answer = await client.changes(table, { since: checkpoint.version, cursor: null, limit: 1, waitMs }, combined);
    if (answer.kind === 'reset' || answer.page.changes.length > 0 || answer.page.hasMore) {
      changed ??= table;
      cancel.abort();
    }
  });
  const settled = await Promise.allSettled(requests);
  signal.removeEventListener('abort', onStop);
  if (changed !== null) return { kind: 'changes', table: changed };
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure && !signal.aborted) return { kind: 'error', error: failure.reason };
  // Most of the wait spent: the server honours `wait`. Much less: it answers at once, and looping would spin.
  return Date.now() - started >= waitMs * 0.8 ? { kind: 'quiet' } : { kind: 'early' };
}
