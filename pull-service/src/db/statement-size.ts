/**
 * The most rows one apply statement touches. SQL Server escalates a statement's row and page locks to a lock on
 * the whole table once it holds about 5,000 of them on one table or index; on a PDV that would block the sale
 * reading a price until the page commits. Pages (PULL_PAGE_SIZE, a table's batchSize) and the pending deletes
 * tried at once stay below it, with room for the index rows that a row's locks come with.
 */
export const MAX_ROWS_PER_STATEMENT = 4_000;

export const STATEMENT_SIZE_REASON = 'SQL Server escalates a statement of about 5000 row locks to a table lock, which would hold the sales back';

/** `items` in runs of at most MAX_ROWS_PER_STATEMENT. */
export function inStatementRuns<T>(items: readonly T[]): T[][] {
  const runs: T[][] = [];
  for (let start = 0; start < items.length; start += MAX_ROWS_PER_STATEMENT) runs.push(items.slice(start, start + MAX_ROWS_PER_STATEMENT));
  return runs;
}
