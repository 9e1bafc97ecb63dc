import type { z } from 'zod';
import {
  CentralUnavailableError,
  ContractError,
  TransientError,
  asChangesPage,
  describeProblem,
  parseRetryAfterMs,
  asSnapshotPage,
  changesPageSchema,
  changesWaitSchema,
  resetRequiredSchema,
  snapshotPageSchema,
  tablePausedSchema,
  tablesResponseSchema,
  type ChangesPage,
  type ChangesWaitAnswer,
  type HttpClient,
  type HttpResponse,
  type ResetRequired,
  type SnapshotPage,
  type TablesResponse,
  SYNC_CONTRACT_HEADER,
  SYNC_CONTRACT_VERSION,
  SYNC_TOKENS_HEADER,
  STREAM_HEARTBEAT_HEADER,
  STREAM_HEARTBEAT_LINE,
} from '@goldpdv/core';

/**
 * The server's 410 "reset required": the table must be taken again from a snapshot. `reason` and `detail` are
 * what the problem says beyond the contract's members (why: retention, no proof of the initial data...), for logs.
 */
export interface ResetRequiredAnswer {
  kind: 'reset-required';
  problem: ResetRequired;
  reason: string | null;
  detail: string | null;
}

/**
 * A page, with what its answer's headers carried: the Sync-Token, the proof of the table's initial data that every
 * delta request sends back (handed by a snapshot's last page, and again with every page of changes), and the
 * incarnation of the central database that served it (Sync-Incarnation). Both null from a central API that does
 * not send them.
 */
export interface PageMeta {
  syncToken: string | null;
  incarnation: string | null;
}
export type ChangesAnswer = ({ kind: 'page'; page: ChangesPage } & PageMeta) | ResetRequiredAnswer;
export type SnapshotAnswer = ({ kind: 'page'; page: SnapshotPage } & PageMeta) | ResetRequiredAnswer;

/**
 * The server's 409 "table paused": it cannot serve this table as declared right now (a declared column is gone
 * centrally, or its type no longer travels exactly). Only this table stops: the round records the reason in its
 * checkpoint (last_error) and on the health board, and asks again later with backoff, while the others go on.
 */
export class TablePausedError extends ContractError {
  constructor(
    readonly table: string,
    readonly reason: string,
  ) {
    super(`the central API paused table ${table}: ${reason}`, { context: { table, status: 409 } });
  }
}

/** The header a Sync-Token travels in, both ways, and its bound: the size of sync_checkpoint.sync_token. */
const SYNC_TOKEN_HEADER = { name: 'sync-token', maxLength: 1_000 };
/** The header of the central database's incarnation, and the size of sync_checkpoint.incarnation. */
const INCARNATION_HEADER = { name: 'sync-incarnation', maxLength: 64 };

/** Where the central API is and how this PDV authenticates to it. */
export interface CentralEndpoint {
  baseUrl: string;
  token: string;
  /** Bound on an answer, added to the long-poll wait. */
  responseTimeoutMs: number;
  /** On top of heartbeat intervals, how late a change stream's head and lines may be (default HEARTBEAT_GRACE_MS). */
  heartbeatGraceMs?: number;
}

export interface ChangesRequest {
  since: string;
  cursor: string | null;
  limit: number;
  /** The table's Sync-Token, from its checkpoint; null when it has none (the server then answers 410). */
  syncToken: string | null;
  /** Long-poll: how long the server may hold the request when nothing changed; 0 = answer at once. */
  waitMs: number;
}

/** A table a wait is asked for: from its checkpoint's version, with its Sync-Token when it has one. */
export interface WaitedTable {
  table: string;
  since: string;
  syncToken?: string | null;
}

/** The answers of a change stream, as they come. */
export interface ChangeAnswers {
  /** The next answer; null when the stream ended. A broken connection is CentralUnavailableError, a bad line ContractError. */
  next(): Promise<ChangesWaitAnswer | null>;
  /** Ends the stream (its connection is dropped when unfinished). Safe to call twice. */
  close(): void;
}

/** The query and headers of a wait, one request or a stream: with a limit and the tables' Sync-Tokens, answers carry the changed tables' first pages. */
function waitRequest(tables: readonly WaitedTable[], waitMs: number, pageLimit: number | null): { query: Record<string, string>; headers: Record<string, string> } {
  const query: Record<string, string> = { tables: tables.map(({ table, since }) => `${table}:${since}`).join(',') };
  if (waitMs > 0) query.wait = String(waitMs);
  const headers: Record<string, string> = {};
  const tokens = tables.flatMap(({ table, syncToken }) => (syncToken ? [`${table}=${syncToken}`] : []));
  if (pageLimit !== null && tokens.length > 0) {
    query.limit = String(pageLimit);
    headers[SYNC_TOKENS_HEADER] = tokens.join(', ');
  }
  return { query, headers };
}

/** On top of two heartbeat intervals, how long a change stream may stay silent before it is taken for dead. */
const HEARTBEAT_GRACE_MS = 10_000;
/** The highest CHANGES_MAX_WAIT_MS a central-api accepts: no stream without heartbeats stays silent longer. */
const LONGEST_SERVER_WAIT_MS = 60_000;

/** Answers that mean "the central API cannot serve anyone right now": retried later, never a table failure. */
const UNAVAILABLE = new Set([408, 425, 429, 502, 503, 504]);

/**
 * The pull side of the contract (GET /v1/tables, /v1/changes, /v1/snapshot). Every answer is checked against
 * the shared zod schemas; what does not fit is a ContractError naming the table and the field. Network
 * failures, timeouts, 5xx, 429 and refused credentials are CentralUnavailableError.
 */
export class CentralPullClient {
  constructor(
    private readonly http: HttpClient,
    private readonly endpoint: CentralEndpoint,
    /** Told the status of every answer (metrics). */
    private readonly onAnswer: (status: number) => void = () => {},
  ) {}

  async changes(table: string, request: ChangesRequest, signal?: AbortSignal): Promise<ChangesAnswer> {
    const query: Record<string, string> = { table, since: request.since, limit: String(request.limit) };
    if (request.cursor !== null) query.cursor = request.cursor;
    if (request.waitMs > 0) query.wait = String(request.waitMs);
    const headers: Record<string, string> = request.syncToken === null ? {} : { [SYNC_TOKEN_HEADER.name]: request.syncToken };
    const response = await this.get('/v1/changes', query, signal, request.waitMs, headers);
    if (response.status === 410) return this.resetRequired(response, table);
    if (response.status === 409) throw this.paused(response, table);
    this.expectOk(response, table);
    return { kind: 'page', page: this.parse(response, changesPageSchema, table, 'changes page', asChangesPage), ...this.metaOf(response, table) };
  }

  async snapshot(table: string, cursor: string | null, limit: number, signal?: AbortSignal): Promise<SnapshotAnswer> {
    const query: Record<string, string> = { table, limit: String(limit) };
    if (cursor !== null) query.cursor = cursor;
    const response = await this.get('/v1/snapshot', query, signal, 0);
    if (response.status === 410) return this.resetRequired(response, table);
    if (response.status === 409) throw this.paused(response, table);
    this.expectOk(response, table);
    return { kind: 'page', page: this.parse(response, snapshotPageSchema, table, 'snapshot page', asSnapshotPage), ...this.metaOf(response, table) };
  }

  /**
   * GET /v1/changes/wait: one long poll for several tables; the names of those with changes for this PDV (none
   * after a quiet wait). Null when the server has no such endpoint (404, a central-api before it).
   */
  async waitForAny(
    tables: readonly WaitedTable[],
    waitMs: number,
    signal?: AbortSignal,
    pageLimit: number | null = null,
  ): Promise<ChangesWaitAnswer | null> {
    const { query, headers } = waitRequest(tables, waitMs, pageLimit);
    const response = await this.get('/v1/changes/wait', query, signal, waitMs, headers);
    if (response.status === 404) return null;
    this.expectOk(response, null);
    return this.parse(response, changesWaitSchema, null, 'wait answer');
  }

  /**
   * GET /v1/changes/stream: the wait's answers one after another on one open answer, until `waitMs` ends it
   * (see ChangeStream). Null when the server has no such endpoint (404, a central-api before it).
   *
   * With `heartbeatMs`, the server is asked for a heartbeat line after each such silence. When it says it
   * honours them (the Stream-Heartbeat header; a central-api before them does not), a stream silent for twice
   * that and the grace (HEARTBEAT_GRACE_MS) more is taken for a dead connection. Heartbeat lines are read and
   * passed over. Such a server sends the head with the first heartbeat at the latest, so a head that has not
   * come a heartbeat and the grace after the call is one held back on the way: CentralUnavailableError whose
   * cause is AnswerHeadTimeoutError.
   */
  async openChangeStream(tables: readonly WaitedTable[], waitMs: number, signal?: AbortSignal, pageLimit: number | null = null, heartbeatMs = 0): Promise<ChangeAnswers | null> {
    const { query, headers } = waitRequest(tables, waitMs, pageLimit);
    const graceMs = this.endpoint.heartbeatGraceMs ?? HEARTBEAT_GRACE_MS;
    if (heartbeatMs > 0) query.heartbeat = String(heartbeatMs);
    const headTimeoutMs = heartbeatMs > 0 ? heartbeatMs + graceMs : undefined;
    const response = await this.get('/v1/changes/stream', query, signal, waitMs, headers, { stream: true, headTimeoutMs });
    if (response.status === 404) return null;
    this.expectOk(response, null);
    const lines = response.lines;
    if (lines === undefined) throw new ContractError('the change stream answered 200 without a streamed body', { context: { status: 200 } });
    const honoured = Number(response.headers[STREAM_HEARTBEAT_HEADER]);
    if (Number.isInteger(honoured) && honoured > 0) lines.boundSilence(honoured * 2 + graceMs);
    // Asked for and not honoured (a central-api before heartbeats): it still ends the stream within its longest
    // wait, so a silence longer than that and an answer's time is a dead connection, not a long stream.
    else if (heartbeatMs > 0) lines.boundSilence(LONGEST_SERVER_WAIT_MS + this.endpoint.responseTimeoutMs);
    return {
      next: async () => {
        let line: string | null;
        try {
          do line = await lines.next();
          while (line === STREAM_HEARTBEAT_LINE);
        } catch (error) {
          if (!(error instanceof TransientError)) throw error;
          throw new CentralUnavailableError(`central API unreachable: ${error.message}`, { cause: error, table: null });
        }
        return line === null ? null : this.parse({ ...response, body: line }, changesWaitSchema, null, 'change stream line');
      },
      close: () => lines.close(),
    };
  }

  /** The tables this PDV may pull; null when the server has no such endpoint (404). */
  async tables(signal?: AbortSignal): Promise<TablesResponse | null> {
    const response = await this.get('/v1/tables', {}, signal, 0);
    if (response.status === 404) return null;
    this.expectOk(response, null);
    return this.parse(response, tablesResponseSchema, null, 'tables list');
  }

  private resetRequired(response: HttpResponse, table: string): ResetRequiredAnswer {
    const problem = this.parse(response, resetRequiredSchema, table, 'reset-required problem');
    const extra = JSON.parse(response.body) as Record<string, unknown>;
    const text = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, 500) : null);
    return { kind: 'reset-required', problem, reason: text(extra.reason), detail: text(extra.detail) };
  }

  /** A 409 that is the table-paused problem; any other 409 is a contract error like any unexpected answer. */
  private paused(response: HttpResponse, table: string): Error {
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      body = null;
    }
    const problem = tablePausedSchema.safeParse(body);
    if (!problem.success) {
      return new ContractError(`central API answered ${describeProblem(response)} for table ${table}`, { context: { table, status: response.status } });
    }
    if (problem.data.table !== table) {
      return new ContractError(`table ${table}: the table-paused answer names table ${JSON.stringify(problem.data.table)}`, { context: { table, status: 409 } });
    }
    return new TablePausedError(table, problem.data.reason.slice(0, 1_000));
  }

  private metaOf(response: HttpResponse, table: string): PageMeta {
    return { syncToken: this.opaqueHeader(response, SYNC_TOKEN_HEADER, table), incarnation: this.opaqueHeader(response, INCARNATION_HEADER, table) };
  }

  /** Opaque to the client; only its form is checked, against the column it is kept in. */
  private opaqueHeader(response: HttpResponse, header: { name: string; maxLength: number }, table: string): string | null {
    const value = response.headers[header.name];
    if (value === undefined || value === '') return null;
    const text = Array.isArray(value) ? value.join(',') : value;
    if (text.length > header.maxLength || !/^[\x21-\x7e]+$/.test(text)) {
      throw new ContractError(`the ${header.name} header of table ${table} is not a value of at most ${header.maxLength} visible ASCII characters`, { context: { table, field: header.name } });
    }
    return text;
  }

  private async get(
    path: string,
    query: Record<string, string>,
    signal: AbortSignal | undefined,
    waitMs: number,
    extraHeaders: Record<string, string> = {},
    { stream = false, headTimeoutMs }: { stream?: boolean; headTimeoutMs?: number } = {},
  ): Promise<HttpResponse> {
    const url = new URL(`${this.endpoint.baseUrl.replace(/\/$/, '')}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const headers = { ...extraHeaders, authorization: `Bearer ${this.endpoint.token}`, accept: 'application/json', [SYNC_CONTRACT_HEADER]: String(SYNC_CONTRACT_VERSION) };
    try {
      const timeoutMs = waitMs + this.endpoint.responseTimeoutMs;
      const response = await (stream ? this.http.stream(url.toString(), headers, signal, timeoutMs, headTimeoutMs) : this.http.get(url.toString(), headers, signal, timeoutMs));
      this.onAnswer(response.status);
      return response;
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      throw new CentralUnavailableError(`central API unreachable: ${error.message}`, { cause: error, table: query.table ?? null });
    }
  }

  private expectOk(response: HttpResponse, table: string | null): void {
    if (response.status === 200) return;
    const problem = describeProblem(response);
    if (UNAVAILABLE.has(response.status) || response.status >= 500 || response.status === 401 || response.status === 403) {
      const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
      throw new CentralUnavailableError(`central API answered ${problem}`, { status: response.status, retryAfterMs, table });
    }
    throw new ContractError(`central API answered ${problem}${table === null ? '' : ` for table ${table}`}`, { context: { table, status: response.status } });
  }

  /** `exact`, when given, accepts a body the schema would take unchanged without walking it value by value. */
  private parse<Schema extends z.ZodType>(
    response: HttpResponse,
    schema: Schema,
    table: string | null,
    what: string,
    exact?: (json: unknown) => z.infer<Schema> | null,
  ): z.infer<Schema> {
    const about = table === null ? what : `${what} of table ${table}`;
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch (cause) {
      throw new ContractError(`the ${about} is not valid JSON (${(cause as Error).message.slice(0, 120)})`, { cause, context: { table, status: response.status } });
    }
    const accepted = exact?.(json);
    if (accepted) return accepted;
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
    throw new ContractError(`the ${about} does not follow the contract: ${path || '(body)'}: ${issue.message}`, { cause: result.error, context: { table, status: response.status, field: path } });
  }
}
