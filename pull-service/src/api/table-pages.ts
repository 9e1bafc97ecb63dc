import type { CentralPullClient, ChangesAnswer, SnapshotAnswer } from './central-pull-client.js';

/**
 * The central pages of one table, as its steps ask for them. While a page is applied locally, the next page
 * of the table is already on its way: the central read and the local write then overlap instead of adding up.
 * At most one request is kept ahead; it is used only if the next step asks for exactly that page (same version
 * and cursor), which is the case when the page before it was applied. Otherwise it is dropped, unread.
 */
export class TablePages {
  private ahead: { key: string; answer: Promise<unknown> } | null = null;

  constructor(
    private readonly client: CentralPullClient,
    private readonly table: string,
    private readonly pageSize: number,
  ) {}

  /** GET /v1/changes since `since`, from `cursor` within the window, with the table's Sync-Token. */
  changes(since: string, cursor: string | null, syncToken: string | null, signal: AbortSignal): Promise<ChangesAnswer> {
    return this.take(changesKey(since, cursor, syncToken), () => this.fetchChanges(since, cursor, syncToken, signal));
  }

  /**
   * A first page from `since` that came another way (carried by a wait's answer): the next step that asks for
   * exactly it, with the same Sync-Token, takes it instead of fetching it.
   */
  offerChanges(since: string, syncToken: string | null, answer: ChangesAnswer): void {
    this.ahead = { key: changesKey(since, null, syncToken), answer: Promise.resolve(answer) };
  }

  fetchChangesAhead(since: string, cursor: string | null, syncToken: string | null, signal: AbortSignal): void {
    this.fetchAhead(changesKey(since, cursor, syncToken), () => this.fetchChanges(since, cursor, syncToken, signal));
  }

  /** GET /v1/snapshot from `cursor` (null: the first page). */
  snapshot(cursor: string | null, signal: AbortSignal): Promise<SnapshotAnswer> {
    return this.take(snapshotKey(cursor), () => this.client.snapshot(this.table, cursor, this.pageSize, signal));
  }

  fetchSnapshotAhead(cursor: string | null, signal: AbortSignal): void {
    this.fetchAhead(snapshotKey(cursor), () => this.client.snapshot(this.table, cursor, this.pageSize, signal));
  }

  private fetchChanges(since: string, cursor: string | null, syncToken: string | null, signal: AbortSignal): Promise<ChangesAnswer> {
    return this.client.changes(this.table, { since, cursor, limit: this.pageSize, waitMs: 0, syncToken }, signal);
  }

  /** Starts fetching the page now, replacing whatever was fetched ahead before. */
  private fetchAhead(key: string, fetch: () => Promise<unknown>): void {
    const answer = fetch();
    // Never an unhandled rejection: the error surfaces when (and if) the answer is taken.
    answer.catch(() => {});
    this.ahead = { key, answer };
  }

  /** The answer fetched ahead for exactly this page, or a fresh fetch. */
  private take<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const ahead = this.ahead;
    this.ahead = null;
    return ahead?.key === key ? (ahead.answer as Promise<T>) : fetch();
  }
}

const changesKey = (since: string, cursor: string | null, syncToken: string | null) => `changes:${since}:${cursor ?? ''}:${syncToken ?? ''}`;
const snapshotKey = (cursor: string | null) => `snapshot:${cursor ?? ''}`;
