import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { PRODUCT_STAMP } from './catalog.js';
import { request, type Answer } from './pdv-http.js';
import { streamRequest, type Lines } from './pdv-stream.js';
import type { PdvSettings, WorkerCounters, WorkerPdv } from './protocol.js';
import { saleEvent } from './sale-events.js';

/** pull-service reads every table at least this often, even when its waits name only some. */
const FULL_ROUND_MS = 5 * 60_000;

/** What every simulated PDV of a worker shares: the settings and where it reports what it sees. */
export interface PdvEnvironment extends PdvSettings {
  /**
   * Snapshots already taken in this worker, by table and loja. A Sync-Token binds the table, the loja of a
   * filtered snapshot, its version and the database's incarnation, never the PDV: PDVs of one loja may start
   * from one real snapshot, which keeps a 10,000-PDV start from serialising 20,000 snapshots.
   */
  snapshots: Map<string, Promise<TableCheckpoint>>;
  counters: WorkerCounters;
  salesOn(): boolean;
  sighted(commitId: number, pdvIndex: number, at: number): void;
  error(message: string): void;
}

export interface TableCheckpoint {
  table: string;
  version: string;
  cursor: string | null;
  syncToken: string | null;
}

interface WaitAnswer {
  changed?: unknown;
  pages?: { page: ChangesPage; syncToken: string }[];
}

interface ChangesPage {
  table: string;
  sinceVersion: string;
  toVersion: string;
  changes: { op: 'upsert' | 'delete'; row?: Record<string, unknown> }[];
  hasMore: boolean;
  nextCursor: string | null;
}

// pull-service's defaults: PULL_PAGE_SIZE, PULL_RESPONSE_TIMEOUT_MS (added to a long-poll's wait), and the first
// status report 5 s after the start. The reporter's first delay is spread over an interval here, as for a fleet
// whose PDVs started at different times.
const PAGE_SIZE = 500;
const RESPONSE_TIMEOUT_MS = 30_000;
/** The contract's STREAM_HEARTBEAT_LINE (core's changes-contract.ts): a change stream's heartbeat, exactly this text. */
const STREAM_HEARTBEAT_LINE = '{"heartbeat":true}';
/** pull-service's ChangeStream: heartbeats at most every 30 s, below proxies' usual 60 s idle timeout. */
const HEARTBEAT_MAX_MS = 30_000;
const FIRST_REPORT_MS = 5_000;
const RETRY_MS = { min: 1_000, max: 5_000 };

export class PdvRequestError extends Error {}

/** A 503 (a replica at a cap) or 429 (this PDV over its rate) with Retry-After: honoured, not an error. */
export class PdvRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number,
  ) {
    super(`answered ${status}, retry after ${retryAfterMs} ms`);
  }
}

/** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
function retryAfterMsOf(answer: Answer): number | null {
  const value = headerOf(answer, 'retry-after');
  if (value === null) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/**
 * One PDV as the central API sees it: pull-service's contract (GET /v1/tables, a snapshot of each table for its
 * Sync-Token, then rounds of GET /v1/changes and long-polls across its tables, one keep-alive agent), its status
 * report, and, for a selling PDV, push-service's POST /v1/events on its own agent. Nothing is applied locally:
 * what a real daemon writes to its database is outside what central serves.
 */
export class SimulatedPdv {
  private readonly pullAgent: http.Agent;
  private readonly pushAgent: http.Agent | null;
  private readonly checkpoints: TableCheckpoint[] = [];
  private readonly stopping = new AbortController();
  private readonly caixaSessaoId = randomUUID();
  private timers: NodeJS.Timeout[] = [];
  private saleNumber = 0;
  private loop: Promise<void> | null = null;
  /** As pull-service, learnt once per process: a 404 to GET /v1/changes/wait turns it off for good. */
  private waitOneRequest: boolean;
  /** As pull-service: the change stream, until a 404 to GET /v1/changes/stream turns it off for good. */
  private streamOn: boolean;
  /** The open change stream, with where the server has each table now (pull-service's ChangeStream). */
  private stream: { lines: Lines; positions: Map<string, string>; openedAt: number; endsAfterAnswer: boolean } | null = null;
  /** The last stream ran its time (pull-service's ChangeStream: the next one lasts up to a quarter less, else anywhere from one wait). */
  private streamRanItsTime = false;
  /** The tables the last wait named (none after a quiet one); null: every table. */
  private focus: Set<string> | null = null;
  private lastFullRoundAt = 0;

  constructor(
    private readonly pdv: WorkerPdv,
    private readonly env: PdvEnvironment,
  ) {
    // As pull-service: one agent, one long-poll per table plus two.
    this.pullAgent = new http.Agent({ keepAlive: true, keepAliveMsecs: 15_000, maxSockets: env.tables.length + 2, localAddress: env.localAddress });
    this.pushAgent = pdv.sells ? new http.Agent({ keepAlive: true, keepAliveMsecs: 15_000, maxSockets: 8, localAddress: env.localAddress }) : null;
    this.waitOneRequest = env.waitEndpoint;
    this.streamOn = env.waitEndpoint && env.stream;
  }

  /** GET /v1/tables and a snapshot of every table: the PDV then holds a checkpoint and a Sync-Token for each. */
  async init(): Promise<void> {
    const tables = await this.honouringRefusals(async () => this.json(await this.get('/v1/tables', {}, 0)));
    const offered = (tables as { tables: { table: string }[] }).tables.map((entry) => entry.table);
    for (const entry of (tables as { tables: { table: string; filtered: boolean }[] }).tables) {
      if (!this.env.tables.includes(entry.table)) continue;
      const key = `${entry.table}:${entry.filtered ? this.pdv.lojaId : '*'}`;
      let taken = this.env.snapshots.get(key);
      if (taken === undefined) {
        taken = this.snapshot(entry.table);
        this.env.snapshots.set(key, taken);
        // A failed snapshot is taken again by the next PDV that needs it.
        taken.catch(() => this.env.snapshots.delete(key));
      }
      this.checkpoints.push({ ...(await taken) });
    }
    if (this.checkpoints.length !== this.env.tables.length) throw new PdvRequestError(`${this.pdv.pdvId}: GET /v1/tables offers ${offered.join(', ')}; ${this.env.tables.join(', ')} asked`);
  }

  start(): void {
    this.loop = this.pullLoop();
    this.schedule(FIRST_REPORT_MS + Math.random() * this.env.statusIntervalMs, () => this.statusLoop());
    if (this.pushAgent) this.schedule(Math.random() * this.env.saleIntervalMs, () => this.saleLoop());
  }

  /** Ends the loops and closes the sockets. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    await this.loop;
    this.stream?.lines.close();
    this.pullAgent.destroy();
    this.pushAgent?.destroy();
  }

  private schedule(delayMs: number, run: () => Promise<void>): void {
    if (this.stopping.signal.aborted) return;
    this.timers.push(setTimeout(() => void run(), delayMs));
  }

  private async snapshot(table: string): Promise<TableCheckpoint> {
    let cursor: string | null = null;
    for (;;) {
      const query: Record<string, string> = { table, limit: String(PAGE_SIZE) };
      if (cursor !== null) query.cursor = cursor;
      const [answer, page] = await this.honouringRefusals(async () => {
        const answer = await this.get('/v1/snapshot', query, 0);
        return [answer, this.json(answer) as { snapshotVersion: string; hasMore: boolean; nextCursor: string | null }] as const;
      });
      if (!page.hasMore) return { table, version: page.snapshotVersion, cursor: null, syncToken: headerOf(answer, 'sync-token') };
      cursor = page.nextCursor;
    }
  }

  /** pull-service's cycle: rounds (one page per table, parents first) until every table is caught up, then a long-poll. */
  private async pullLoop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        let busy = true;
        while (busy && !signal.aborted) busy = await this.round();
        if (!signal.aborted) await this.longPoll();
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof PdvRefusedError) {
          // pull-service's backOffAsAsked: at least Retry-After, up to twice it at random, so that PDVs refused
          // together do not all come back together.
          await sleep(Math.round(error.retryAfterMs * (1 + Math.random())), signal);
          continue;
        }
        this.env.counters.httpErrors += 1;
        this.env.error(`${this.pdv.pdvId}: ${(error as Error).message}`);
        await sleep(RETRY_MS.min + Math.random() * (RETRY_MS.max - RETRY_MS.min), signal);
      }
    }
  }

  /**
   * One page of every table, or, as pull-service's round does after a wait that named its tables, of those only
   * (none after a quiet wait), with every table read at least every FULL_ROUND_MS; true when a table has more
   * pages to fetch (or was taken again from a snapshot).
   */
  private async round(): Promise<boolean> {
    let busy = false;
    const full = this.focus === null || Date.now() - this.lastFullRoundAt >= FULL_ROUND_MS;
    if (full) this.lastFullRoundAt = Date.now();
    for (const checkpoint of this.checkpoints) {
      if (!full && !this.focus!.has(checkpoint.table) && checkpoint.cursor === null) continue;
      const query: Record<string, string> = { table: checkpoint.table, since: checkpoint.version, limit: String(PAGE_SIZE) };
      if (checkpoint.cursor !== null) query.cursor = checkpoint.cursor;
      const answer = await this.get('/v1/changes', query, 0, checkpoint.syncToken);
      const arrivedAt = Date.now();
      if (answer.status === 410) {
        this.env.counters.httpErrors += 1;
        this.env.error(`${this.pdv.pdvId}: ${checkpoint.table} answered 410 reset required; taking it again from a snapshot`);
        Object.assign(checkpoint, await this.snapshot(checkpoint.table));
        busy = true;
        continue;
      }
      const page = (this.json(answer)) as ChangesPage;
      checkpoint.syncToken = headerOf(answer, 'sync-token') ?? checkpoint.syncToken;
      this.sight(checkpoint.table, page, arrivedAt);
      if (page.hasMore) checkpoint.cursor = page.nextCursor;
      else {
        checkpoint.version = page.toVersion;
        checkpoint.cursor = null;
      }
      // As pull-service: a page that reached its window's end leaves the table caught up, and the wait follows.
      if (page.hasMore) busy = true;
    }
    return busy;
  }

  /**
   * pull-service's waitForChanges: GET /v1/changes/wait for every table at once; its answer names the changed
   * tables, and the round that follows reads them all (nothing is fetched here). A central-api without the
   * endpoint (404) gets one long poll per table from then on.
   */
  private async longPoll(): Promise<void> {
    if (this.streamOn) {
      if (await this.streamWait()) return;
      this.streamOn = false;
      this.env.counters.streamFallbacks += 1;
    }
    if (this.waitOneRequest) {
      const tables = this.checkpoints.map((checkpoint) => `${checkpoint.table}:${checkpoint.version}`).join(',');
      const query: Record<string, string> = { tables, wait: String(this.env.longPollMs) };
      const headers: Record<string, string> = {};
      const tokens = this.checkpoints.flatMap((checkpoint) => (checkpoint.syncToken ? [`${checkpoint.table}=${checkpoint.syncToken}`] : []));
      if (this.env.waitPages && tokens.length > 0) {
        query.limit = String(PAGE_SIZE);
        headers['sync-tokens'] = tokens.join(', ');
      }
      this.env.counters.waitRequests += 1;
      const answer = await this.get('/v1/changes/wait', query, this.env.longPollMs, null, this.stopping.signal, headers);
      if (answer.status !== 404) {
        this.takeWaitAnswer(this.json(answer) as WaitAnswer, Date.now());
        return;
      }
      this.waitOneRequest = false;
      this.env.counters.waitFallbacks += 1;
    }
    await this.longPollPerTable();
  }

  /**
   * As a wait's answer is taken by pull-service: a carried page is applied as its table's read would be; a table
   * it took to the window's end needs no read of its own. Returns those tables.
   */
  private takeWaitAnswer(body: WaitAnswer, arrivedAt: number): Set<string> {
    const served = new Set<string>();
    for (const { page, syncToken } of body.pages ?? []) {
      const checkpoint = this.checkpoints.find((candidate) => candidate.table === page.table && candidate.version === page.sinceVersion);
      if (checkpoint === undefined) continue;
      this.sight(checkpoint.table, page, arrivedAt);
      checkpoint.syncToken = syncToken;
      if (page.hasMore) checkpoint.cursor = page.nextCursor;
      else {
        checkpoint.version = page.toVersion;
        served.add(checkpoint.table);
      }
    }
    const changed = body.changed;
    this.focus = this.env.focusedRounds && Array.isArray(changed) ? new Set(changed.map(String).filter((table) => !served.has(table))) : null;
    return served;
  }

  /**
   * pull-service's ChangeStream: the next answer on the open GET /v1/changes/stream while every checkpoint stands
   * where the server assumes it, else on a new one; false when the server has no stream endpoint (404).
   */
  private async streamWait(): Promise<boolean> {
    for (;;) {
      const current = this.stream;
      if (current !== null && !this.checkpoints.every((checkpoint) => checkpoint.cursor === null && current.positions.get(checkpoint.table) === checkpoint.version)) {
        current.lines.close();
        this.stream = null;
      }
      if (this.stream === null) {
        const url = new URL('/v1/changes/stream', this.pdv.baseUrl);
        url.searchParams.set('tables', this.checkpoints.map((checkpoint) => `${checkpoint.table}:${checkpoint.version}`).join(','));
        // As pull-service's ChangeStream: longer than a wait, a stream asks for heartbeat lines.
        const long = this.env.streamMs > this.env.longPollMs;
        // As pull-service's ChangeStream (streamLength), so that streams opened together do not stay in step.
        const shortest = this.streamRanItsTime ? Math.max(this.env.longPollMs, this.env.streamMs * 0.75) : this.env.longPollMs;
        const streamMs = long ? Math.round(shortest + (this.env.streamMs - shortest) * Math.random()) : this.env.longPollMs;
        this.streamRanItsTime = false;
        url.searchParams.set('wait', String(streamMs));
        if (long) url.searchParams.set('heartbeat', String(Math.min(this.env.longPollMs, HEARTBEAT_MAX_MS)));
        const headers: Record<string, string> = { authorization: `Bearer ${this.pdv.token}`, accept: 'application/json', 'sync-contract': '2' };
        const tokens = this.checkpoints.flatMap((checkpoint) => (checkpoint.syncToken ? [`${checkpoint.table}=${checkpoint.syncToken}`] : []));
        if (this.env.waitPages && tokens.length > 0) {
          url.searchParams.set('limit', String(PAGE_SIZE));
          headers['sync-tokens'] = tokens.join(', ');
        }
        this.env.counters.requests += 1;
        this.env.counters.waitRequests += 1;
        const openedAt = Date.now();
        const opened = await streamRequest(this.pullAgent, url, headers, streamMs + RESPONSE_TIMEOUT_MS, this.stopping.signal);
        if (!('next' in opened)) {
          if (opened.status === 404) return false;
          this.json(opened);
          throw new PdvRequestError(`GET /v1/changes/stream answered ${opened.status} without a stream`);
        }
        this.stream = { lines: opened, positions: new Map(this.checkpoints.map((checkpoint) => [checkpoint.table, checkpoint.version])), openedAt, endsAfterAnswer: false };
      }
      const stream = this.stream;
      let line: string | null;
      try {
        line = await stream.lines.next();
        while (line === STREAM_HEARTBEAT_LINE) {
          this.env.counters.heartbeats += 1;
          line = await stream.lines.next();
        }
      } catch (error) {
        stream.lines.close();
        this.stream = null;
        throw error;
      }
      if (line === null) {
        this.stream = null;
        if (stream.endsAfterAnswer) continue;
        // Ran its time with nothing: as a quiet wait.
        this.streamRanItsTime = true;
        this.focus = this.env.focusedRounds ? new Set() : null;
        return true;
      }
      const answer = JSON.parse(line) as WaitAnswer;
      if (Array.isArray(answer.changed) && answer.changed.length === 0) {
        // The quiet last line of a stream that ran its time: a quiet wait.
        await stream.lines.next().catch(() => null);
        stream.lines.close();
        this.stream = null;
        this.streamRanItsTime = true;
        this.focus = this.env.focusedRounds ? new Set() : null;
        return true;
      }
      const served = this.takeWaitAnswer(answer, Date.now());
      for (const table of served) stream.positions.set(table, this.checkpoints.find((checkpoint) => checkpoint.table === table)!.version);
      // A table named without a page to its window's end: the server ends the stream after this answer.
      stream.endsAfterAnswer = !Array.isArray(answer.changed) || answer.changed.some((table) => !served.has(String(table)));
      return true;
    }
  }

  /** The wait before GET /v1/changes/wait: one request per table; the first with changes cancels the others. */
  private async longPollPerTable(): Promise<void> {
    this.focus = null;
    const cancel = new AbortController();
    const onStop = (): void => cancel.abort();
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    try {
      const results = await Promise.allSettled(
        this.checkpoints.map(async (checkpoint) => {
          const query = { table: checkpoint.table, since: checkpoint.version, limit: '1', wait: String(this.env.longPollMs) };
          const answer = await this.get('/v1/changes', query, this.env.longPollMs, checkpoint.syncToken, cancel.signal);
          if (answer.status === 410) {
            cancel.abort();
            return;
          }
          const page = (this.json(answer)) as ChangesPage;
          if (page.changes.length > 0 || page.hasMore) cancel.abort();
        }),
      );
      const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected' && !cancel.signal.aborted);
      if (failure) throw failure.reason;
    } finally {
      this.stopping.signal.removeEventListener('abort', onStop);
    }
  }

  /** Stamped rows of this page: the harness's commits. A price of another loja is a wrong delivery. */
  private sight(table: string, page: ChangesPage, at: number): void {
    for (const change of page.changes) {
      const row = change.row;
      if (change.op !== 'upsert' || row === undefined) continue;
      if (table === 'produto') {
        const match = PRODUCT_STAMP.exec(String(row.descricao));
        if (match) this.env.sighted(Number(match[1]), this.pdv.index, at);
      } else if (table === 'preco_loja') {
        if (Number(row.loja_id) !== this.pdv.lojaId) {
          this.env.counters.wrongDeliveries += 1;
          this.env.error(`${this.pdv.pdvId} (loja ${this.pdv.lojaId}) received a price of loja ${String(row.loja_id)}`);
          continue;
        }
        if (typeof row.preco_promocional === 'string') this.env.sighted(Number.parseInt(row.preco_promocional, 10), this.pdv.index, at);
      }
    }
  }

  /** POST /v1/pdv/status with pull-service's report, every STATUS_REPORT_INTERVAL_MS. */
  private async statusLoop(): Promise<void> {
    const report = {
      daemon: 'pull-service',
      version: 'fleet-bench',
      clock: new Date().toISOString(),
      health: { ready: true, centralState: 'reachable', centralDownSince: null },
      pull: { tables: this.checkpoints.map((c) => ({ table: c.table, version: c.version, mode: 'delta', lagSeconds: 0, rejectedRows: 0, lastError: null })) },
    };
    try {
      const answer = await this.post(this.pullAgent, '/v1/pdv/status', JSON.stringify(report));
      this.refusal(answer);
      if (answer.status < 200 || answer.status >= 300) throw new PdvRequestError(`POST /v1/pdv/status answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      this.env.counters.statusReports += 1;
    } catch (error) {
      if (!this.stopping.signal.aborted && !(error instanceof PdvRefusedError)) {
        this.env.counters.httpErrors += 1;
        this.env.error(`${this.pdv.pdvId}: ${(error as Error).message}`);
      }
    }
    this.schedule(this.env.statusIntervalMs, () => this.statusLoop());
  }

  /** push-service's POST /v1/events: a batch of one to three sales, each answered `applied`. */
  private async saleLoop(): Promise<void> {
    if (this.env.salesOn()) {
      const events = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () =>
        saleEvent(this.pdv.pdvId, this.pdv.lojaId, this.caixaSessaoId, (this.saleNumber += 1), this.env.products),
      );
      try {
        const answer = await this.post(this.pushAgent!, '/v1/events', JSON.stringify({ events }));
        this.refusal(answer);
        if (answer.status !== 200) throw new PdvRequestError(`POST /v1/events answered ${answer.status}: ${answer.body.slice(0, 200)}`);
        const results = (JSON.parse(answer.body) as { results: { status: string; error?: { message: string } }[] }).results;
        const refused = results.find((result) => result.status !== 'applied');
        if (refused) throw new PdvRequestError(`POST /v1/events: a sale was ${refused.status}: ${refused.error?.message ?? ''}`);
        this.env.counters.saleBatches += 1;
        this.env.counters.salesPosted += events.length;
      } catch (error) {
        // A refused batch is not retried here: the sale figures only count what was applied.
        if (!this.stopping.signal.aborted && !(error instanceof PdvRefusedError)) {
          this.env.counters.httpErrors += 1;
          this.env.error(`${this.pdv.pdvId}: ${(error as Error).message}`);
        }
      }
    }
    this.schedule(this.env.saleIntervalMs * (0.5 + Math.random()), () => this.saleLoop());
  }

  private get(
    path: string,
    query: Record<string, string>,
    waitMs: number,
    syncToken: string | null = null,
    signal: AbortSignal = this.stopping.signal,
    extraHeaders: Record<string, string> = {},
  ): Promise<Answer> {
    const url = new URL(path, this.pdv.baseUrl);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const headers: Record<string, string> = { authorization: `Bearer ${this.pdv.token}`, accept: 'application/json', 'sync-contract': '2', ...extraHeaders };
    if (syncToken !== null) headers['sync-token'] = syncToken;
    this.env.counters.requests += 1;
    return request(this.pullAgent, url, 'GET', headers, null, waitMs + RESPONSE_TIMEOUT_MS, signal);
  }

  private post(agent: http.Agent, path: string, body: string): Promise<Answer> {
    this.env.counters.requests += 1;
    const headers = { authorization: `Bearer ${this.pdv.token}`, accept: 'application/json' };
    return request(agent, new URL(path, this.pdv.baseUrl), 'POST', headers, body, RESPONSE_TIMEOUT_MS, this.stopping.signal);
  }

  /** `work` again after each 503/429 with Retry-After (a snapshot over SNAPSHOTS_MAX_CONCURRENT), as asked. */
  private async honouringRefusals<T>(work: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof PdvRefusedError) || this.stopping.signal.aborted) throw error;
        await sleep(Math.round(error.retryAfterMs * (1 + Math.random())), this.stopping.signal);
      }
    }
  }

  /** Throws PdvRefusedError (and counts it) for a 503 or 429 that says when to come back. */
  private refusal(answer: Answer): void {
    if (answer.status !== 503 && answer.status !== 429) return;
    const retryAfterMs = retryAfterMsOf(answer);
    if (retryAfterMs === null) return;
    if (answer.status === 503) this.env.counters.refused503 += 1;
    else this.env.counters.refused429 += 1;
    throw new PdvRefusedError(answer.status, retryAfterMs);
  }

  private json(answer: Answer): unknown {
    this.refusal(answer);
    if (answer.status !== 200) throw new PdvRequestError(`answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    return JSON.parse(answer.body) as unknown;
  }
}

function headerOf(answer: Answer, name: string): string | null {
  const value = answer.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
