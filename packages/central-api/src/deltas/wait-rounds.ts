import type { ChangesPage, WaitPage } from '@goldpdv/core';
import type { ChangesRead } from './db/delta-store.js';
import type { Watch } from './live/long-poll-hub.js';
import { pageOfRead } from './page-of-read.js';
import type { Epoch, ServingClock } from './live/serving-clock.js';
import type { SharedPages } from './live/shared-pages.js';
import { ResetRequiredError } from './reset-required-error.js';
import type { ServedTable } from './served-table.js';
import { TablePausedError } from './table-paused-error.js';
import { servedTableNamed, type TableRegistry } from './table-registry.js';
import { TableSignatures } from './table-signatures.js';
import { UnknownTableError } from './unknown-table-error.js';

/** A table a wait watches, and the version up to which its window is known empty for this PDV. */
export interface Watched {
  table: ServedTable;
  watch: Watch;
}

/** One round of a wait (GET /v1/changes/wait) or a change stream's line, for one PDV. */
export interface RoundQuery {
  watched: readonly Watched[];
  lojaId: number;
  /** Each table's checkpoint: where its carried page starts. */
  since: ReadonlyMap<string, bigint>;
  /** Carry the first page of each changed table whose Sync-Token is given (by table name); null: names only. */
  pages: { limit: number; syncTokens: ReadonlyMap<string, string> } | null;
  /** Tables to name whatever their windows hold (a wait's first round: tables it cannot read as asked). */
  attention: readonly string[];
}

export interface RoundAnswer {
  /** The tables with changes for this PDV (or a reset, a pause), watched order, `attention` first. */
  changed: readonly string[];
  /** The incarnation of the database read; null when nothing was read. */
  incarnation: string | null;
  /** With `pages`: the carried first pages, each admitted by the PDV's own Sync-Token. */
  pages?: WaitPage[];
}

/**
 * A changed table's first page as read for every PDV of the round's key, with the loja it was read for; null:
 * named only (a reset, a pause).
 */
type SharedPage = { table: ServedTable; lojaId: number; read: ChangesRead; page: ChangesPage } | null;

/** What a round finds, whoever asks it: the same for every PDV with the same key (keyOf). */
interface SharedRound {
  changed: readonly string[];
  /** Per watched table: the level its window is known quiet up to, when that moved it up; else null. */
  levels: readonly (bigint | null)[];
  incarnation: string | null;
  pages: ReadonlyMap<string, SharedPage>;
}

export interface WaitRoundsOptions {
  registry: TableRegistry;
  clock: ServingClock;
  pages: SharedPages;
  /** The page of a changed table for this PDV alone, read as GET /v1/changes reads it (admission, a reset's read). */
  readAlone(table: string, since: bigint, limit: number, lojaId: number, syncToken: string): Promise<WaitPage>;
  /**
   * Whether the Sync-Token admits this PDV to a page read from `incarnation`; with the token to hand back when it
   * does (renewed under the newest key), null when it does not (the page is then read alone).
   */
  admit(syncToken: string, table: ServedTable, lojaId: number, incarnation: string): string | null | Promise<string | null>;
}

/**
 * The rounds of the waits: which watched tables have changes for a PDV, and their first pages.
 *
 * A change releases thousands of PDVs at once, and the PDVs of one loja that stood at the same checkpoints read
 * exactly the same round: the same windows of the same shared pages (SharedPages). So a round is worked out once
 * for each key (the tables with their levels, counted by what they see: levelsKeyOf; their checkpoints; the page
 * size; the loja where a table is filtered by it; and where each of its tables stood in the epoch it was read in)
 * and handed, for KEPT_MS, to each of them; only what is the PDV's own is done per PDV: the admission of its
 * Sync-Token, and the token it gets back. A PDV whose token does not admit it to a carried page gets that page
 * read for it alone, as GET /v1/changes would (its reset, its other scope).
 *
 * Epochs come and go during a fan-out (every sale that moves stock is one), but a round depends only on its own
 * tables: while none of them moves (their quietFrom stays), a later epoch holds nothing more of them, and the
 * round worked out in an earlier one is still theirs. Its windows end at that epoch's upper version, which a
 * later reading has only confirmed: the PDV then reads on from there.
 */
export class WaitRounds {
  /** The rounds worked out lately, by key, each handed on for KEPT_MS (a timer forgets them after that). */
  private readonly kept = new Map<string, KeptRound>();
  /**
   * Those of them that named no table, by the part of their key that decides that (levelsKeyOf): a quiet round
   * reads no page, so the PDV's checkpoints, tokens and page size do not matter to it.
   */
  private readonly keptQuiet = new Map<string, KeptRound>();
  private sweeping: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly signatures = new TableSignatures();
  /**
   * Rounds worked out, rounds handed over from one worked out for another PDV, and changes found quiet for a
   * stream without a round of its own (knownQuiet) (metrics, tests).
   */
  readonly stats = { worked: 0, shared: 0, quiet: 0 };

  constructor(private readonly options: WaitRoundsOptions) {}

  /** Forgets every kept round and its timer. Safe to call twice; rounds run after it are not kept. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.sweeping);
    this.sweeping = undefined;
    this.kept.clear();
    this.keptQuiet.clear();
  }

  /**
   * One round for the query's PDV; moves its watches' levels up where their tables are quiet. A change hands the
   * round of thousands of PDVs on within a few hundred ms, so the usual case waits for nothing (the epoch known,
   * the round worked out, the Sync-Token kept): each await would cost every one of them a promise and a turn.
   */
  async run(query: RoundQuery): Promise<RoundAnswer> {
    const epoch = this.options.clock.currentNow() ?? (await this.options.clock.current());
    const shared = this.sharedRound(query, epoch);
    const round = shared instanceof Promise ? await shared : shared;
    this.raiseLevels(query, round);
    if (query.pages === null || round.changed.length === 0) return { changed: round.changed, incarnation: round.incarnation };
    const carried: WaitPage[] = [];
    for (const name of round.changed) {
      const syncToken = query.pages.syncTokens.get(name);
      const since = query.since.get(name);
      const shared = round.pages.get(name);
      if (syncToken === undefined || since === undefined || shared == null) continue;
      // A table filtered by loja since the stream began (a registry reload) was read for the key's first PDV only.
      const ofItsLoja = shared.table.filter === null || shared.lojaId === query.lojaId;
      const admitted = ofItsLoja ? this.options.admit(syncToken, shared.table, query.lojaId, shared.read.incarnation) : null;
      const handed = admitted instanceof Promise ? await admitted : admitted;
      if (handed !== null) {
        carried.push({ page: shared.page, syncToken: handed, incarnation: shared.read.incarnation });
        continue;
      }
      try {
        carried.push(await this.options.readAlone(name, since, query.pages.limit, query.lojaId, syncToken));
      } catch (error) {
        if (!namedOnly(error)) throw error;
      }
    }
    return { changed: round.changed, incarnation: round.incarnation, pages: carried };
  }

  /**
   * Whether the query's round in the latest epoch is already worked out and names no table (another loja's
   * change, for one), read from the database incarnation the caller knows (`incarnation`; null: none yet): its
   * levels are then applied to the query's watches, as run() would, and its incarnation returned (null when it
   * read nothing). Undefined, with nothing applied, when that is not known at once or it read another
   * incarnation: run() then tells.
   */
  knownQuiet(query: RoundQuery, incarnation: string | null): string | null | undefined {
    // The latest epoch, however long ago it was read: it is at least the one whose change is being judged, and a
    // change after it comes with an epoch of its own, which judges the stream again. (A read needs a fresh one.)
    const epoch = this.options.clock.epoch;
    if (epoch === null || query.attention.length > 0 || this.stopped) return undefined;
    const round = this.quietRound(this.levelsKeyOf(query, epoch), Date.now());
    if (round === undefined) return undefined;
    if (round.incarnation !== null && incarnation !== null && round.incarnation !== incarnation) return undefined;
    this.stats.quiet += 1;
    this.raiseLevels(query, round);
    return round.incarnation;
  }

  /** A round that named nothing, worked out for these levels within KEPT_MS; undefined when none is. */
  private quietRound(levelsKey: string, now: number): SharedRound | undefined {
    const kept = this.keptQuiet.get(levelsKey);
    return kept !== undefined && now - kept.at <= KEPT_MS ? kept.worked : undefined;
  }

  private raiseLevels(query: RoundQuery, round: SharedRound): void {
    for (let index = 0; index < round.levels.length; index += 1) {
      const level = round.levels[index]!;
      const watch = query.watched[index]!.watch;
      if (level !== null && level > watch.level) watch.level = level;
    }
  }

  /** The round of the query's key as the epoch stands: as it is once worked out, else the promise of it. */
  private sharedRound(query: RoundQuery, epoch: Epoch | null): SharedRound | Promise<SharedRound> {
    // Without an epoch there is nothing to share (each read takes its own bound); a first round's attention is rare.
    if (epoch === null || query.attention.length > 0 || this.stopped) return this.work(query, epoch);
    const rounds = this.kept;
    const levelsKey = this.levelsKeyOf(query, epoch);
    const key = this.keyOf(query, levelsKey);
    const now = Date.now();
    const known = rounds.get(key);
    if (known !== undefined && now - known.at <= KEPT_MS) {
      this.stats.shared += 1;
      return known.worked ?? known.round;
    }
    // A round that named nothing for the same levels is this one's too, whatever the checkpoints it read from.
    const quiet = this.quietRound(levelsKey, now);
    if (quiet !== undefined) {
      this.stats.shared += 1;
      return quiet;
    }
    const working = this.work(query, epoch);
    if (rounds.size >= MAX_KEPT) forgetOlderThan(rounds, now - KEPT_MS);
    if (rounds.size < MAX_KEPT) {
      const kept: KeptRound = { round: working, worked: undefined, at: now };
      rounds.set(key, kept);
      this.sweepSoon();
      working.then(
        (round) => {
          kept.worked = round;
          if (round.changed.length !== 0) return;
          if (this.keptQuiet.size >= MAX_KEPT) forgetOlderThan(this.keptQuiet, Date.now() - KEPT_MS);
          if (this.keptQuiet.size < MAX_KEPT) this.keptQuiet.set(levelsKey, kept);
        },
        // A failed round is not handed on: the next PDV works it out again.
        () => {
          if (rounds.get(key) === kept) rounds.delete(key);
        },
      );
    }
    return working;
  }

  /**
   * A key can stand for hours (nothing changes at night), and a round holds its pages: what is kept goes with
   * its time, so that pages the shared-page cache let go are not held here.
   */
  private sweepSoon(): void {
    if (this.sweeping !== undefined) return;
    this.sweeping = setTimeout(() => {
      this.sweeping = undefined;
      forgetOlderThan(this.kept, Date.now() - KEPT_MS);
      forgetOlderThan(this.keptQuiet, Date.now() - KEPT_MS);
      if (this.kept.size > 0 || this.keptQuiet.size > 0) this.sweepSoon();
    }, KEPT_MS);
    // Memory only: never what keeps a process alive.
    this.sweeping.unref();
  }

  /**
   * What decides which tables a round names, and the levels it moves them to: the database's incarnation, the loja
   * when a watched table is filtered by it, and each table (by its served description) with where its changes
   * stand in the epoch (its quietFrom: the same in two epochs when nothing of it changed between them; a table the
   * clock does not know is keyed by the epoch's upper version, so never shared across epochs) and its level. A
   * level at or above quietFrom is quiet whatever its value; below, levels in one quiet span of the clock
   * (windowStart) see the same changes: PDVs whose levels were moved up in different epochs share their rounds.
   * A level above the epoch's upper version (a PDV that read last from a replica further on) counts as itself, as
   * SharedPages reads it from the database rather than from the clock.
   */
  private levelsKeyOf(query: RoundQuery, epoch: Epoch): string {
    const filtered = query.watched.some(({ table }) => table.filter !== null);
    let key = `${epoch.incarnation}|${filtered ? query.lojaId : '*'}`;
    for (const { table, watch } of query.watched) {
      const quietFrom = epoch.quietFrom.get(table.trackingName);
      const level =
        quietFrom === undefined || watch.level > epoch.upper
          ? `${watch.level}@${epoch.upper}`
          : watch.level >= quietFrom
            ? 'q'
            : this.options.clock.windowStart(table.trackingName, watch.level);
      key += `|${this.signatures.idOf(table)}:${quietFrom ?? ''}:${level}`;
    }
    return key;
  }

  /**
   * What decides a round: its levels key, and for the first pages it carries, each table's checkpoint and
   * whether a Sync-Token came for it, and the page size.
   */
  private keyOf(query: RoundQuery, levelsKey: string): string {
    let key = `${levelsKey}|${query.pages?.limit ?? '-'}`;
    for (const { table } of query.watched) key += `|${query.since.get(table.name) ?? ''}:${query.pages?.syncTokens.has(table.name) ? 't' : ''}`;
    return key;
  }

  /**
   * Reads each watched table's window from its level, one row being enough to know (the read is the one the
   * PDV's page of this window shares, SharedPages): the tables with changes (or a reset, a pause) are changed,
   * the others' levels move up to their windows' ends. Then the first page of each changed table that has a
   * checkpoint and a Sync-Token, from the checkpoint, as GET /v1/changes reads it.
   */
  private async work(query: RoundQuery, epoch: Epoch | null): Promise<SharedRound> {
    this.stats.worked += 1;
    const changed = [...query.attention];
    const levels: (bigint | null)[] = [];
    let incarnation = epoch?.incarnation ?? null;
    for (const { table, watch } of query.watched) {
      let level: bigint | null = null;
      try {
        const read = await this.options.pages.read({ table, since: watch.level, cursor: null, limit: 1, lojaId: query.lojaId }, epoch);
        incarnation = read.incarnation;
        if (read.changes.length > 0 || read.hasMore) changed.push(table.name);
        else if (BigInt(read.toVersion) > watch.level) level = BigInt(read.toVersion);
      } catch (error) {
        if (!(error instanceof ResetRequiredError || error instanceof TablePausedError)) throw error;
        changed.push(table.name);
      }
      levels.push(level);
    }
    const pages = new Map<string, SharedPage>();
    if (query.pages !== null) {
      for (const name of changed) {
        const since = query.since.get(name);
        if (since === undefined || !query.pages.syncTokens.has(name)) continue;
        pages.set(name, await this.firstPage(name, since, query.pages.limit, query.lojaId, epoch));
      }
    }
    return { changed, levels, incarnation, pages };
  }

  private async firstPage(name: string, since: bigint, limit: number, lojaId: number, epoch: Epoch | null): Promise<SharedPage> {
    try {
      const table = await servedTableNamed(this.options.registry, name);
      const read = await this.options.pages.read({ table, since, cursor: null, limit, lojaId }, epoch);
      return { table, lojaId, read, page: pageOfRead(table, since, read) };
    } catch (error) {
      if (namedOnly(error)) return null;
      throw error;
    }
  }
}

/** A round worked out for one PDV, and when. */
interface KeptRound {
  round: Promise<SharedRound>;
  /** The round once worked out: handed on as it is, with no promise to wait for. */
  worked: SharedRound | undefined;
  at: number;
}

/** Plenty for the lojas and checkpoints of a fleet over KEPT_MS. */
const MAX_KEPT = 4_096;
/**
 * How long a round is handed on: the PDVs that share one are those a change wakes together, whose releases take
 * a second or two at fleet scale; a PDV that comes later in a long epoch works its round out again.
 */
const KEPT_MS = 5_000;

function forgetOlderThan(rounds: Map<string, KeptRound>, oldest: number): void {
  for (const [key, kept] of rounds) if (kept.at < oldest) rounds.delete(key);
}

/** A changed table that cannot be carried so: the PDV reads it itself, and learns there what to do. */
const namedOnly = (error: unknown): boolean => error instanceof ResetRequiredError || error instanceof TablePausedError || error instanceof UnknownTableError;

