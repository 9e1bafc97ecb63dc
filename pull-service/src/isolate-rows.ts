import { isTransientError, type Database, type Queryable } from '@goldpdv/core';
import type { PageItem } from './page-items.js';

export interface FailedItem {
  item: PageItem;
  error: unknown;
}

class ProbeRollback extends Error {}

/**
 * Finds the rows of a failed page that the database refuses, by halving: a piece that applies is good, a
 * piece that fails is split again, down to single rows. Each probe runs in its own transaction that is always
 * rolled back, so probing changes nothing, and it behaves the same whatever a failed statement does to the
 * enclosing transaction (PostgreSQL aborts it; some SQL Server errors doom it). For k bad rows in n, about
 * 2·k·log2(n) probes. `run` must apply the given rows the way the real apply will (same preparation).
 */
export async function isolateFailedItems(db: Database, items: readonly PageItem[], run: (tx: Queryable, items: readonly PageItem[]) => Promise<void>): Promise<FailedItem[]> {
  const failed: FailedItem[] = [];
  const probe = async (piece: readonly PageItem[]): Promise<void> => {
    const error = await failureOf(db, (tx) => run(tx, piece));
    if (error === null) return;
    if (piece.length === 1) {
      failed.push({ item: piece[0]!, error });
      return;
    }
    await split(piece);
  };
  const split = async (piece: readonly PageItem[]): Promise<void> => {
    const middle = Math.ceil(piece.length / 2);
    await probe(piece.slice(0, middle));
    await probe(piece.slice(middle));
  };
  // The caller saw the whole page fail; a single row is its own answer.
  if (items.length === 1) await probe(items);
  else await split(items);
  return failed;
}

/** Runs `work` in a transaction that is rolled back in every case; returns its error, or null if it succeeded. */
async function failureOf(db: Database, work: (tx: Queryable) => Promise<void>): Promise<unknown> {
  try {
    await db.transaction(async (tx) => {
      await work(tx);
      throw new ProbeRollback('probe done');
    });
  } catch (error) {
    if (error instanceof ProbeRollback) return null;
    // A lost connection says nothing about the rows; it ends the isolation and goes up as it is.
    if (isTransientError(error)) throw error;
    return error;
  }
  return null;
}
