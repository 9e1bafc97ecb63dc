/**
 * While a page is applied locally, the next page of the same table is already on its way: the central read
 * and the local write then overlap instead of adding up. At most one request per table is kept; it is used
 * only if the next step asks for exactly the same page (same version and cursor), which is the case when the
 * page before it was applied. Otherwise it is dropped, unread.
 */
export class PagePrefetch {
  private readonly waiting = new Map<string, { key: string; answer: Promise<unknown> }>();

  /** Starts fetching `key` for `table` now, replacing whatever was waiting for the table. */
  start<T>(table: string, key: string, fetch: () => Promise<T>): void {
    const answer = fetch();
    // Never an unhandled rejection: the error surfaces when (and if) the answer is taken.
    answer.catch(() => {});
    this.waiting.set(table, { key, answer });
  }

  /** The answer fetched ahead for exactly this page, or a fresh fetch. */
  take<T>(table: string, key: string, fetch: () => Promise<T>): Promise<T> {
    const waiting = this.waiting.get(table);
    this.waiting.delete(table);
    return waiting?.key === key ? (waiting.answer as Promise<T>) : fetch();
  }
}
