import { AnswerHeadTimeoutError, CentralUnavailableError, type ChangesWaitAnswer } from '@goldpdv/core';
import type { Checkpoint } from '../db/checkpoint-store.js';
import type { CentralPullClient, ChangeAnswers } from './central-pull-client.js';

export type StreamOutcome =
  /** A change for this PDV, as one GET /v1/changes/wait would answer it. */
  | { kind: 'answer'; answer: ChangesWaitAnswer }
  /**
   * The stream ran its time with nothing more for this PDV; `incarnation` is the central database's now (from
   * the stream's last, quiet line; null without one). `held`: it lasted most of a wait, or it is the first in a
   * row to end early (a replica stopping ends its streams at once, and the next one is opened at once); false
   * when streams keep ending early, which is a server that does not hold them.
   */
  | { kind: 'ended'; incarnation: string | null; held: boolean }
  /**
   * Streams do not get through to this PDV now: the last one's head did not come within a heartbeat (a proxy on
   * the way holds streamed answers back until they end, or the connection died), so none is opened for a while
   * (ChangeStream.heldBack). The caller waits with one request instead, whose answer no such proxy holds back.
   */
  | { kind: 'held-back' };

export interface ChangeStreamOptions {
  /** Where a stream's length falls within its span (streamLength): [0, 1). */
  random?: () => number;
  /** Told when a stream was held back (and for how long streams are not tried), once per time. */
  onHeldBack?: (pauseMs: number, error: CentralUnavailableError) => void;
}

/** How long streams are not tried after one was held back; it doubles with each one held back in a row, up to the cap. */
const HELD_BACK_PAUSE_MS = 10 * 60_000;
const HELD_BACK_PAUSE_CAP_MS = 4 * 60 * 60_000;

/** The heartbeat intervals the contract allows (central-api answers 400 outside them), kept below proxies' usual 60 s idle timeout. */
const HEARTBEAT_MIN_MS = 1_000;
const HEARTBEAT_MAX_MS = 30_000;

interface OpenStream {
  answers: ChangeAnswers;
  /** Where the server has each table now: the checkpoints it was opened from, moved by the pages it carried. */
  positions: Map<string, string>;
  openedAt: number;
  /** The last answer named a table it carried no page to the window's end of: the server ends the stream after it. */
  endsAfterAnswer: boolean;
}

/**
 * The PDV's change stream (GET /v1/changes/stream), kept open across the worker's waits. After an answer, the
 * server waits on each table from the end of the page it carried, on the assumption that the PDV applies it as
 * its own read; the next wait reads on from the same stream only while every checkpoint is where the server
 * assumes it (the pages applied, nothing else read). Any difference (a page not applied, a table read on its
 * own, another set of tables) closes the stream and opens one from the checkpoints as they are. So a change
 * that reaches the PDV costs it no request at all, and the stream never serves a window the PDV did not ask for.
 */
export class ChangeStream {
  private current: OpenStream | null = null;
  /** The last stream ran its time: the next one is not opened together with the rest of the fleet (streamLength). */
  private ranItsTime = false;
  /** The last stream that ended with nothing ended early (see StreamOutcome's `held`). */
  private endedEarly = false;

  /** Streams held back in a row (see StreamOutcome's `held-back`); a stream whose head came clears it. */
  private heldBackInARow = 0;
  private heldBackUntil = 0;
  private readonly random: () => number;
  private readonly onHeldBack: NonNullable<ChangeStreamOptions['onHeldBack']>;

  constructor(
    private readonly client: CentralPullClient,
    { random = Math.random, onHeldBack = () => {} }: ChangeStreamOptions = {},
  ) {
    this.random = random;
    this.onHeldBack = onHeldBack;
  }

  /**
   * The next answer for these tables from these checkpoints. Null when the server has no stream endpoint (404).
   * Throws what the client throws (CentralUnavailableError, ContractError), the stream then closed.
   *
   * `lastsMs`: how long a stream opened now may stay open. Longer than a wait, it asks for heartbeat lines
   * (every wait's length, at most HEARTBEAT_MAX_MS), which keep it alive through proxies and tell a dead
   * connection; not longer, it lasts one wait, without them.
   */
  async next(tables: readonly { table: string; checkpoint: Checkpoint }[], waitMs: number, signal: AbortSignal, pageLimit: number | null, lastsMs = 0): Promise<StreamOutcome | null> {
    if (Date.now() < this.heldBackUntil) return { kind: 'held-back' };
    for (;;) {
      if (this.current !== null && !standsAt(this.current, tables)) this.close();
      if (this.current === null) {
        const waited = tables.map(({ table, checkpoint }) => ({ table, since: checkpoint.version, syncToken: checkpoint.syncToken }));
        // Before the call: its head comes with the first answer, or at the end of a quiet stream.
        const openedAt = Date.now();
        const long = lastsMs > waitMs && waitMs >= HEARTBEAT_MIN_MS;
        const heartbeatMs = long ? Math.min(waitMs, HEARTBEAT_MAX_MS) : 0;
        const lasting = long ? streamLength(lastsMs, waitMs, this.ranItsTime, this.random()) : waitMs;
        this.ranItsTime = false;
        let answers: ChangeAnswers | null;
        try {
          answers = await this.client.openChangeStream(waited, lasting, signal, pageLimit, heartbeatMs);
        } catch (error) {
          if (!(error instanceof CentralUnavailableError && error.cause instanceof AnswerHeadTimeoutError)) throw error;
          return this.heldBack(error);
        }
        if (heartbeatMs > 0) this.heldBackInARow = 0;
        if (answers === null) return null;
        this.current = { answers, positions: new Map(waited.map(({ table, since }) => [table, since])), openedAt, endsAfterAnswer: false };
      }
      const stream = this.current;
      let answer: ChangesWaitAnswer | null;
      try {
        answer = await stream.answers.next();
      } catch (error) {
        this.close();
        throw error;
      }
      if (answer === null) {
        this.close();
        // Ended by its last answer: open another at once, from where the checkpoints stand. Otherwise it ran its
        // time (`held` tells the caller whether the server held it).
        if (stream.endsAfterAnswer) continue;
        this.ranItsTime = true;
        return { kind: 'ended', incarnation: null, held: this.held(stream, waitMs) };
      }
      if (answer.changed.length === 0) {
        // The last line of a stream that ran its time: read its end, so that the connection is kept for the next.
        await stream.answers.next().catch(() => null);
        this.close();
        this.ranItsTime = true;
        return { kind: 'ended', incarnation: answer.incarnation, held: this.held(stream, waitMs) };
      }
      const caughtUp = new Set<string>();
      for (const { page } of answer.pages ?? []) {
        if (page.hasMore) continue;
        stream.positions.set(page.table, page.toVersion);
        caughtUp.add(page.table);
      }
      stream.endsAfterAnswer = answer.changed.some((table) => !caughtUp.has(table));
      return { kind: 'answer', answer };
    }
  }

  /**
   * A stream whose head did not come in time. Through a proxy that buffers answers, a stream's changes would come
   * only when it ends, minutes late; a dead connection would be found out by the next stream anyway. Either way,
   * waits go as one request each for a while, and streams are tried again after it, a longer while each time.
   */
  private heldBack(error: CentralUnavailableError): StreamOutcome {
    const pauseMs = Math.min(HELD_BACK_PAUSE_MS * 2 ** this.heldBackInARow, HELD_BACK_PAUSE_CAP_MS);
    this.heldBackInARow += 1;
    this.heldBackUntil = Date.now() + pauseMs;
    this.onHeldBack(pauseMs, error);
    return { kind: 'held-back' };
  }

  /** Whether the server held a stream that ended with nothing (StreamOutcome's `held`), judged against a wait's length. */
  private held(stream: OpenStream, waitMs: number): boolean {
    const early = Date.now() - stream.openedAt < waitMs * 0.8;
    const held = !early || !this.endedEarly;
    this.endedEarly = early;
    return held;
  }

  /** Ends the open stream, if any. Safe to call twice. */
  close(): void {
    this.current?.answers.close();
    this.current = null;
  }
}

/**
 * A long stream's length. PDVs whose streams open together (the daemons started together, a VPS restart or a
 * network flap broke every stream, a change with more pages ended them all) would otherwise open them all again
 * together, stream after stream, each time loading the replicas with the whole fleet's requests at once. Such a
 * stream lasts anywhere between one wait and `lastsMs`, which spreads the fleet's next openings over that span at
 * once; a stream that follows one that ran its time lasts up to a quarter less than `lastsMs`, which keeps them
 * spread.
 */
function streamLength(lastsMs: number, waitMs: number, afterOneThatRanItsTime: boolean, random: number): number {
  const shortest = afterOneThatRanItsTime ? Math.max(waitMs, lastsMs * (1 - STREAM_JITTER)) : waitMs;
  return Math.round(shortest + (lastsMs - shortest) * random);
}

const STREAM_JITTER = 0.25;

function standsAt(stream: OpenStream, tables: readonly { table: string; checkpoint: Checkpoint }[]): boolean {
  return tables.length === stream.positions.size && tables.every(({ table, checkpoint }) => stream.positions.get(table) === checkpoint.version);
}
