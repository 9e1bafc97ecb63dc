import type { Database } from '@goldpdv/core';
import type { ChangesCursor } from '../cursor.js';
import type { ChangesRead, DeltaStore } from '../db/delta-store.js';
import { ResetRequiredError } from '../reset-required-error.js';
import type { ServedTable } from '../served-table.js';
import { markShared } from '../../http/json-parts.js';
import { ByteBoundedLru } from './byte-bounded-lru.js';
import { TableSignatures } from '../table-signatures.js';
import { quietUpTo, type Epoch } from './serving-clock.js';

export interface SharedPagesOptions {
  db: Database;
  store: DeltaStore;
  /** Bound on the memory the kept pages take (their JSON size). */
  maxBytes: number;
  /** How long a page is kept. A window's changes never change once read, so this only bounds memory. */
  maxAgeMs: number;
  /** Reads ask for at least this many rows, so that a long poll's one-row read and a page of the same window share. */
  minReadLimit: number;
  /** Where a window from `since` may start instead, with the same changes (ServingClock.windowStart); none: at `since`. */
  windowStart?: (trackingName: string, since: bigint) => bigint;
}

export interface SharedPageRequest {
  table: ServedTable;
  since: bigint;
  cursor: ChangesCursor | null;
  limit: number;
  lojaId: number;
}

export interface SharedPageStats {
  /** Pages read from the database. */
  reads: number;
  /** Answers taken from a page read for another request (kept, or still being read). */
  hits: number;
  /** Answers known empty from the clock alone, with no read at all. */
  quiet: number;
}

/**
 * Each window of each table read once per replica and served from memory to every client that asks for it:
 * (table, since, upper, cursor, limit, scope). Clients share windows because the serving clock hands every first
 * page of an epoch the same upper version (serving-clock.ts), and starts each window where the table's quiet
 * span began (windowStart), so the up-to-date PDVs of a fleet ask for the same window whichever epoch they last
 * read in; a window the clock knows to be quiet is answered without a read.
 *
 * A table filtered per loja on an integer key column is read unfiltered and cut per loja here: one read serves
 * every loja. Only the key decides, as the SQL filter of such a table does (read-changes.*.ts), tombstones
 * included. A table filtered on another column is read per loja, since a row that left a loja is served to it as
 * a delete. The answer is never more than the caller may see; its Sync-Token is checked by the caller.
 */
export class SharedPages {
  readonly stats: SharedPageStats = { reads: 0, hits: 0, quiet: 0 };
  private readonly kept: ByteBoundedLru<KeptPage>;
  private readonly reading = new Map<string, Promise<KeptPage>>();
  private readonly signatures = new TableSignatures();

  constructor(private readonly options: SharedPagesOptions) {
    this.kept = new ByteBoundedLru(options.maxBytes, options.maxAgeMs);
  }

  get keptBytes(): number {
    return this.kept.bytes;
  }

  async read(request: SharedPageRequest, epoch: Epoch | null): Promise<ChangesRead> {
    const { table, since, cursor, lojaId } = request;
    const quietTo = epoch !== null && cursor === null ? quietUpTo(epoch, table.trackingName, since) : null;
    if (quietTo !== null) {
      this.stats.quiet += 1;
      return { toVersion: quietTo.toString(), incarnation: epoch!.incarnation, changes: [], cursorKeys: [], hasMore: false, next: null };
    }
    const lojaKey = splitKeyOf(table);
    const limit = Math.max(request.limit, this.options.minReadLimit);
    const readFrom = (from: bigint) => () => {
      this.stats.reads += 1;
      const readTable = lojaKey === null ? table : { ...table, filter: null };
      return this.options.store.readChanges(this.options.db, { table: readTable, since: from, cursor, limit, lojaId, admit: () => null, upperHint: epoch });
    };
    const perLoja = lojaKey === null && table.filter !== null;
    let whole: ChangesRead;
    if (epoch === null) {
      // Without the clock there is no shared upper version, hence nothing to share.
      whole = await readFrom(since)();
    } else {
      // Checkpoints that differ only by quiet versions share the window that starts where the quiet began.
      const from = this.options.windowStart?.(table.trackingName, since) ?? since;
      let kept: KeptPage;
      try {
        kept = await this.shared(this.keyOf(request, from, epoch, limit, perLoja), epoch.upper, readFrom(from));
      } catch (error) {
        // Retention raised the minimum valid version past the span's start since the clock last read: the
        // caller's own version may still be valid, and is read as asked.
        if (from === since || !(error instanceof ResetRequiredError)) throw error;
        kept = await this.shared(this.keyOf(request, since, epoch, limit, perLoja), epoch.upper, readFrom(since));
      }
      // Only a first page is keyed by the table's latest change; a later page's window ends where its cursor says.
      whole = cursor === null ? extendedTo(kept, epoch.upper) : kept.page;
      // The same loja and limit get the same cut arrays, so that answers share them (and their JSON, page-json.ts).
      return cut(whole, lojaKey === null ? null : { name: lojaKey, lojaId }, request.limit, (kept.cuts ??= new Map()));
    }
    return cut(whole, lojaKey === null ? null : { name: lojaKey, lojaId }, request.limit);
  }

  clear(): void {
    this.kept.clear();
  }

  private keyOf(request: SharedPageRequest, since: bigint, epoch: Epoch, limit: number, perLoja: boolean): string {
    const { table, cursor } = request;
    const signature = this.signatures.idOf(table);
    // A first page holds the table's changes from `since` up to its latest one (quietFrom): later epochs that
    // only moved other tables share it (extendedTo). A table the clock does not know is keyed by the upper version.
    const quietFrom = epoch.quietFrom.get(table.trackingName);
    const window = cursor !== null ? `cursor=${cursor.to}/${cursor.v}/${cursor.k}` : quietFrom !== undefined ? `quiet=${quietFrom}` : `upper=${epoch.upper}`;
    return [epoch.incarnation, signature, since, window, limit, perLoja ? request.lojaId : '*'].join('|');
  }

  private async shared(key: string, upper: bigint, read: () => Promise<ChangesRead>): Promise<KeptPage> {
    const kept = this.kept.get(key);
    if (kept) {
      this.stats.hits += 1;
      return kept;
    }
    const pending = this.reading.get(key);
    if (pending) {
      this.stats.hits += 1;
      return pending;
    }
    const started = read()
      .then((page) => {
        // Every answer from this page carries this very array: its JSON is made and deflated once (page-json.ts).
        markShared(page.changes);
        const entry = { page, readUpper: upper };
        this.kept.set(key, entry, sizeOf(page));
        return entry;
      })
      .finally(() => this.reading.delete(key));
    this.reading.set(key, started);
    return started;
  }
}

/** A page as read, with the upper version of the epoch it was read in. */
interface KeptPage {
  page: ChangesRead;
  readUpper: bigint;
  /** What each (loja, limit) got of the page, made on first ask. */
  cuts?: Map<string, Picked>;
}

/**
 * Cuts kept per page: every loja of a chain with pull-service's page size, and a few other limits (the limit is
 * the client's, 1 to 5,000). Each kept cut holds its own JSON, so the bound also bounds what a page can grow to.
 */
const MAX_CUTS_KEPT = 256;

/** The changes of a page that a cut serves, by position: `short` when more remain for the next page. */
interface Picked {
  changes: ChangesRead['changes'];
  cursorKeys: string[];
  short: boolean;
}

/**
 * A whole first page read up to an earlier epoch's upper version, answered in a later epoch: its key holds the
 * table's latest change, so nothing of the table lies between the two upper versions, and the page moves the
 * client's checkpoint up to the newer one. A page cut short (its cursor carries its own upper version), or one
 * that did not end at its epoch's upper version, is answered as read. Never a later page of a window: its key
 * is its cursor, which says nothing of the table's changes since, so moving its end up would pass over them.
 */
function extendedTo({ page, readUpper }: KeptPage, upper: bigint): ChangesRead {
  const whole = !page.hasMore && page.next === null && page.toVersion === readUpper.toString();
  return whole && upper > readUpper ? { ...page, toVersion: upper.toString() } : page;
}

/** The served name of the key column a table is filtered on, when the page can be cut per loja by key alone. */
function splitKeyOf(table: ServedTable): string | null {
  if (!table.filter?.inKey) return null;
  const key = table.keys.find((column) => column.source === table.filter!.column);
  return key && (key.type === 'int' || key.type === 'bigint') ? key.name : null;
}

/** The caller's part of a page: its loja's changes (when cut per loja), at most `limit` of them. */
function cut(whole: ChangesRead, loja: { name: string; lojaId: number } | null, limit: number, memo?: Map<string, Picked>): ChangesRead {
  if (loja === null && whole.changes.length <= limit) return whole;
  const memoKey = `${loja?.lojaId ?? '*'}|${limit}`;
  let picked = memo?.get(memoKey);
  if (picked === undefined) {
    picked = pick(whole, loja, limit);
    // Kept for the lojas and limits the fleet asks with (few); past the bound a cut is each answer's own.
    if (memo !== undefined && memo.size < MAX_CUTS_KEPT) {
      memo.set(memoKey, picked);
      markShared(picked.changes);
    }
  }
  const { changes, cursorKeys } = picked;
  // Cut short: the next page starts after the last change served here, within the same window.
  if (picked.short) return { ...whole, changes, cursorKeys, hasMore: true, next: { to: whole.toVersion, v: changes.at(-1)!.version, k: cursorKeys.at(-1)! } };
  return { ...whole, changes, cursorKeys };
}

function pick(whole: ChangesRead, loja: { name: string; lojaId: number } | null, limit: number): Picked {
  const wanted = String(loja?.lojaId);
  const indexes: number[] = [];
  for (let index = 0; index < whole.changes.length && indexes.length <= limit; index++) {
    if (loja === null || String(whole.changes[index]!.key[loja.name]) === wanted) indexes.push(index);
  }
  const served = indexes.slice(0, limit);
  return { changes: served.map((index) => whole.changes[index]!), cursorKeys: served.map((index) => whole.cursorKeys[index]!), short: indexes.length > limit };
}

/**
 * About what a kept page costs: its changes, counted three times for their JSON text, its UTF-8 bytes and its
 * deflate kept for the answers (json-parts.ts), plus a little for the entry. The cuts kept with it come on top,
 * bounded by MAX_CUTS_KEPT.
 */
function sizeOf(read: ChangesRead): number {
  return 256 + 3 * JSON.stringify(read.changes).length + read.cursorKeys.reduce((total, key) => total + key.length, 0);
}
