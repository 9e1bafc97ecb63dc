import { SYNC_CONTRACT_VERSION, type ChangesPage, type ChangesWaitAnswer, type Database } from '@goldpdv/core';
import { cursorKeyNames, decodeChangesCursor, type ChangesCursor } from './cursor.js';
import type { ChangesRead, DeltaStore } from './db/delta-store.js';
import { InvalidPullRequestError } from './invalid-pull-request-error.js';
import type { LongPollHub } from './live/long-poll-hub.js';
import type { ServingClock } from './live/serving-clock.js';
import type { SharedPages } from './live/shared-pages.js';
import type { ResetRefusal } from './reset-required-error.js';
import { TablePausedError } from './table-paused-error.js';
import { UnknownTableError } from './unknown-table-error.js';
import type { ServedTable } from './served-table.js';
import type { SyncTokenReading, SyncTokens } from './sync-token.js';
import { servedTableNamed, type TableRegistry } from './table-registry.js';
import { filterScope, pageOfRead } from './page-of-read.js';
import { WaitRounds, type RoundAnswer, type RoundQuery, type Watched } from './wait-rounds.js';

export interface ChangesQuery {
  table: string;
  since: bigint;
  /** The opaque cursor as the client sent it. */
  cursor: string | null;
  limit: number;
  /** How long to wait for a change when the window is empty (0: answer at once). */
  waitMs: number;
  lojaId: number;
  /** The Sync-Token request header: the proof that the client loaded the table's initial data. */
  syncToken: string | null;
  /** The client's pull contract version (Sync-Contract header; 1 without it). */
  contract: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

export interface ChangesServiceOptions {
  db: Database;
  store: DeltaStore;
  registry: TableRegistry;
  clock: ServingClock;
  pages: SharedPages;
  hub: LongPollHub;
  tokens: SyncTokens;
  /** Serve contract-1 clients (no Sync-Token) as before, during a rollout (PULL_CONTRACT_V1). */
  acceptContractV1: boolean;
}

/**
 * A page, the client's Sync-Token issued again under the newest key (the Sync-Token response header), and the
 * incarnation of the database that served it (Sync-Incarnation).
 */
export interface ChangesAnswer {
  page: ChangesPage;
  syncToken: string;
  incarnation: string;
}

export interface WaitQuery {
  tables: { table: string; since: bigint }[];
  waitMs: number;
  lojaId: number;
  /** Carry the first page of each changed table whose Sync-Token is given (by table name); null: names only. */
  pages?: { limit: number; syncTokens: ReadonlyMap<string, string> } | null;
  signal?: AbortSignal;
}

export interface ChangesService {
  readChanges(query: ChangesQuery): Promise<ChangesAnswer>;
  /** GET /v1/changes/wait: which of the tables have changes for this PDV, as soon as one has (see ChangesWaitAnswer). */
  waitForAny(query: WaitQuery): Promise<ChangesWaitAnswer>;
  /**
   * GET /v1/changes/stream: the wait's answers one after another on one open answer, until `waitMs` ends it
   * with a last, quiet answer (no table, the incarnation). After each, a table whose carried page reached its
   * window's end waits on from that page's `toVersion`, with the Sync-Token the page handed; a changed table
   * named without such a page ends the stream after its answer, since the PDV must read it itself first.
   */
  streamChanges(query: WaitQuery): AsyncGenerator<ChangesWaitAnswer, void, undefined>;
  /**
   * The wait rounds worked out, those handed over from one worked out for another PDV, and the changes a waiting
   * stream was found to have nothing in from such a round (WaitRounds).
   */
  readonly roundStats: { readonly worked: number; readonly shared: number; readonly quiet: number };
  /** Lets go of what it keeps for later requests (its timer included). Safe to call twice. */
  stop(): void;
}

function checkCursor(cursor: ChangesCursor, since: bigint): void {
  const to = BigInt(cursor.to);
  const last = BigInt(cursor.v);
  if (last < since || last > to) throw new InvalidPullRequestError('cursor', 'cursor does not belong to a window that starts at this since');
}

/** Whether a client holding this token may read deltas of `table` from the database incarnation that served a page (see sync-token.ts). */
function admission(reading: SyncTokenReading, table: ServedTable, lojaId: number, incarnation: string): ResetRefusal | null {
  if (!reading.valid) return { reason: 'initial-data', note: reading.why };
  if (reading.claims.table !== table.name) return { reason: 'initial-data', note: `the Sync-Token is of table ${reading.claims.table}` };
  if (reading.claims.loja !== filterScope(table, lojaId)) return { reason: 'scope' };
  if (reading.claims.incarnation !== incarnation) return { reason: 'incarnation' };
  return null;
}

/**
 * GET /v1/changes: one page of a table's net changes, for a client that proves with its Sync-Token that it
 * loaded the table's initial data.
 *
 * Pages come from SharedPages, read once per window for every client that asks for it. With `waitMs` and an
 * empty first page, the request waits in the LongPollHub, which moves its level up while its table is quiet and
 * releases it when the table changes; it then reads the window from its level, which every waiter of the table
 * shares. The page it answers still starts at the client's `since`: the window from there to the level is known
 * empty for this client.
 */
export function createChangesService(options: ChangesServiceOptions): ChangesService {
  const { db, store, registry, clock, pages, hub, tokens, acceptContractV1 } = options;
  const service: ChangesService = {
    get roundStats() {
      return rounds.stats;
    },

    stop() {
      rounds.stop();
    },

    async readChanges(query) {
      const table = await servedTableNamed(registry, query.table);
      const cursor = query.cursor === null ? null : decodeChangesCursor(query.cursor, cursorKeyNames(table));
      if (cursor) checkCursor(cursor, query.since);
      const reading = await tokens.read(query.syncToken);
      // A pull-service of contract 1 knows no Sync-Token: while the fleet is being upgraded it is served as before.
      const legacy = query.contract < SYNC_CONTRACT_VERSION && acceptContractV1;
      const refusal = (incarnation: string) => (legacy ? null : admission(reading, table, query.lojaId, incarnation));
      const answer = async (read: ChangesRead): Promise<ChangesAnswer> => {
        // Past the admission, so the reading is valid: the same claims, signed with the newest key.
        const syncToken = reading.valid ? await tokens.renew(query.syncToken!, reading) : '';
        return { page: pageOfRead(table, query.since, read), syncToken, incarnation: read.incarnation };
      };
      // A refused client is read on its own, inside one transaction with the window: that read throws the reset
      // with the table's minimum valid version, or serves it when the database's incarnation moved meanwhile.
      const readAlone = () =>
        store.readChanges(db, { table, since: query.since, cursor, limit: query.limit, lojaId: query.lojaId, admit: (window) => refusal(window.incarnation) });
      const deadline = Date.now() + query.waitMs;
      let level = query.since;
      for (;;) {
        const read = await pages.read({ table, since: level, cursor, limit: query.limit, lojaId: query.lojaId }, await clock.current());
        if (refusal(read.incarnation) !== null) return answer(await readAlone());
        const remaining = deadline - Date.now();
        if (read.changes.length > 0 || read.hasMore || cursor !== null || remaining <= 0) return answer(read);
        if (BigInt(read.toVersion) > level) level = BigInt(read.toVersion);
        const outcome = await hub.waitForAny([{ trackingName: table.trackingName, level }], remaining, query.signal);
        level = outcome.watches[0]!.level;
        // Quiet up to the level the wait reached: the empty page moves the client's checkpoint there.
        if (outcome.kind !== 'changed') return answer({ ...read, toVersion: level.toString() });
      }
    },

    async waitForAny(query) {
      const deadline = Date.now() + query.waitMs;
      const { attention, watched } = await watchesOf(query.tables);
      const since = new Map(query.tables.map(({ table, since: version }) => [table, version]));
      const round: RoundQuery = { watched, lojaId: query.lojaId, since, pages: query.pages ?? null, attention };
      let incarnation: string | null = null;
      for (;;) {
        const found = await rounds.run(round);
        incarnation = found.incarnation ?? incarnation;
        const remaining = deadline - Date.now();
        if (found.changed.length > 0 || remaining <= 0 || watched.length === 0) return waitAnswer(found, incarnation);
        const outcome = await hub.waitForAny(watched.map(({ watch }) => watch), remaining, query.signal);
        outcome.watches.forEach((watch, index) => (watched[index]!.watch = watch));
        if (outcome.kind !== 'changed') return { changed: [], incarnation };
      }
    },

    async *streamChanges(query) {
      const deadline = Date.now() + query.waitMs;
      const { attention, watched: asked } = await watchesOf(query.tables);
      const since = new Map(query.tables.map(({ table, since: version }) => [table, version]));
      const syncTokens = new Map(query.pages?.syncTokens ?? []);
      const pages = query.pages ? { limit: query.pages.limit, syncTokens } : null;
      let incarnation: string | null = null;
      // A change whose round, worked out for another stream, names nothing for this one (another loja's price)
      // leaves it waiting, unless that round read another database than the stream's (the long way ends it).
      const stillQuiet = (): boolean => {
        const read = rounds.knownQuiet(later, incarnation);
        if (read === undefined) return false;
        incarnation = read ?? incarnation;
        return true;
      };
      // One standing wait for the whole stream, its levels shared with the reads (Subscription).
      const subscription = hub.subscribe(asked.map(({ watch }) => watch), query.waitMs, query.signal, stillQuiet);
      const watched = asked.map(({ table }, index) => ({ table, watch: subscription.watches[index]! }));
      // A later round's query: its watches, checkpoints and tokens are the stream's own, which its lines move.
      const later: RoundQuery = { watched, lojaId: query.lojaId, since, pages, attention: [] };
      const out: { value: ChangesWaitAnswer | 'swapped' | null } = { value: null };
      // A last, quiet answer with the database's incarnation now (no table): a PDV loaded from another one learns it there.
      const quiet = (): ChangesWaitAnswer => ({ changed: [], incarnation });
      // A round's answer; null: nothing for this PDV (wait on); 'swapped': another database than the stream's.
      const roundAnswer = async (first: boolean): Promise<ChangesWaitAnswer | 'swapped' | null> => {
        const before: string | null = incarnation;
        const found = await rounds.run(first ? { ...later, attention } : later);
        incarnation = found.incarnation ?? incarnation;
        if ((before !== null && incarnation !== before) || (first && (await tokensOfAnother(query, incarnation)))) return 'swapped';
        return found.changed.length === 0 && watched.length > 0 ? null : waitAnswer(found, incarnation);
      };
      try {
        // The first round reads at once from the PDV's checkpoints, as a wait does; later ones after a change.
        for (let first = true; ; first = false) {
          if (!first) {
            if (query.signal?.aborted) return;
            // Its time ran out between two waits, or while it waited (or the server stops): it ends as it would have.
            const outcome = deadline - Date.now() <= 0 ? null : await subscription.next();
            if (outcome?.kind !== 'changed') {
              yield quiet();
              return;
            }
          }
          // The answer is held in a slot that is emptied once it is out (and the round is read in a function of its
          // own): this frame waits seconds for the next change, on thousands of streams, and must not keep each
          // one's last round and answer through the young generation's collections meanwhile.
          out.value = await roundAnswer(first);
          // The database was swapped while the stream ran (or the PDV's tables come from another): that ends it at
          // once, so that the PDV reads its tables (and their resets) now, not when a long stream runs out.
          if (out.value === 'swapped') {
            yield quiet();
            return;
          }
          // Another loja's change, or one the window already held: wait on.
          if (out.value === null) continue;
          yield out.value;
          const goesOn = caughtUpBy(out.value, since, syncTokens, watched);
          out.value = null;
          if (!goesOn) return;
        }
      } finally {
        subscription.close();
      }
    },
  };

  /** Whether a Sync-Token of the stream was issued by another incarnation of the database than this one. */
  async function tokensOfAnother(query: WaitQuery, incarnation: string | null): Promise<boolean> {
    if (incarnation === null || !query.pages) return false;
    for (const token of query.pages.syncTokens.values()) {
      const reading = await tokens.read(token);
      if (reading.valid && reading.claims.incarnation !== incarnation) return true;
    }
    return false;
  }

  /**
   * The tables of a wait, each with the version it waits from. One that cannot be read as asked (unknown, paused)
   * is named at once instead (attention): the PDV's own read of it tells what to do, and the table is left out
   * of its next wait while it fails.
   */
  async function watchesOf(tables: WaitQuery['tables']): Promise<{ attention: string[]; watched: Watched[] }> {
    const attention: string[] = [];
    const watched: Watched[] = [];
    for (const { table: name, since } of tables) {
      try {
        const table = await servedTableNamed(registry, name);
        watched.push({ table, watch: { trackingName: table.trackingName, level: since } });
      } catch (error) {
        if (!(error instanceof UnknownTableError || error instanceof TablePausedError)) throw error;
        attention.push(name);
      }
    }
    return { attention, watched };
  }

  const rounds = new WaitRounds({
    registry,
    clock,
    pages,
    readAlone: async (table, since, limit, lojaId, syncToken) => {
      const read = await service.readChanges({ table, since, cursor: null, limit, waitMs: 0, lojaId, syncToken, contract: SYNC_CONTRACT_VERSION });
      return { page: read.page, syncToken: read.syncToken, incarnation: read.incarnation };
    },
    admit: (syncToken, table, lojaId, incarnation) => {
      // A token the replica checked lately, under the newest key: admitted at once (what the long way would tell).
      const kept = tokens.readKept(syncToken);
      if (kept !== null) return admission(kept.reading, table, lojaId, incarnation) === null ? kept.renewed : null;
      return (async () => {
        const reading = await tokens.read(syncToken);
        // Past the admission the reading is valid: the same claims, signed with the newest key.
        return reading.valid && admission(reading, table, lojaId, incarnation) === null ? tokens.renew(syncToken, reading) : null;
      })();
    },
  });
  return service;
}

/**
 * After a stream's answer: the PDV applies each carried page as its own read of that window, so from the page's
 * end it is up to date (its checkpoint, its Sync-Token and the watch's level move there). Whether the stream
 * goes on: not after a quiet answer, nor when a changed table was named without such a page (the PDV must read
 * it itself first).
 */
function caughtUpBy(answer: ChangesWaitAnswer, since: Map<string, bigint>, syncTokens: Map<string, string>, watched: readonly Watched[]): boolean {
  if (answer.changed.length === 0) return false;
  const caughtUp = new Set<string>();
  for (const { page, syncToken } of answer.pages ?? []) {
    if (page.hasMore) continue;
    const toVersion = BigInt(page.toVersion);
    since.set(page.table, toVersion);
    syncTokens.set(page.table, syncToken);
    caughtUp.add(page.table);
    const entry = watched.find(({ table }) => table.name === page.table);
    if (entry !== undefined && toVersion > entry.watch.level) entry.watch.level = toVersion;
  }
  return answer.changed.every((table) => caughtUp.has(table));
}

/** A wait's answer of a round: its changed tables, the incarnation read, and the pages it carries. */
function waitAnswer(found: RoundAnswer, incarnation: string | null): ChangesWaitAnswer {
  const answer: ChangesWaitAnswer = { changed: [...found.changed], incarnation };
  if (found.pages !== undefined) answer.pages = found.pages;
  return answer;
}
