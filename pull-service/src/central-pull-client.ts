import type { z } from 'zod';
import {
  ContractError,
  TransientError,
  asChangesPage,
  asSnapshotPage,
  changesPageSchema,
  resetRequiredSchema,
  snapshotPageSchema,
  tablesResponseSchema,
  type ChangesPage,
  type ResetRequired,
  type SnapshotPage,
  type TablesResponse,
} from '@goldpdv/core';
import { CentralUnavailable } from './central-unavailable.js';
import { parseRetryAfterMs, type HttpClient, type HttpResponse } from '@goldpdv/core';

export type ChangesAnswer = { kind: 'page'; page: ChangesPage } | { kind: 'reset'; problem: ResetRequired };
export type SnapshotAnswer = { kind: 'page'; page: SnapshotPage } | { kind: 'reset'; problem: ResetRequired };

export interface CentralTarget {
  baseUrl: string;
  token: string;
  /** Bound on an answer, added to the long-poll wait. */
  responseTimeoutMs: number;
}

export interface ChangesRequest {
  since: string;
  cursor: string | null;
  limit: number;
  /** Long-poll: how long the server may hold the request when nothing changed; 0 = answer at once. */
  waitMs: number;
}

/** Answers that mean "the central API cannot serve anyone right now": retried later, never a table failure. */
const UNAVAILABLE = new Set([408, 425, 429, 502, 503, 504]);

/**
 * The pull side of the contract (GET /v1/tables, /v1/changes, /v1/snapshot). Every answer is checked against
 * the shared zod schemas; what does not fit is a ContractError naming the table and the field. Network
 * failures, timeouts, 5xx, 429 and refused credentials are CentralUnavailable.
 */
export class CentralPullClient {
  constructor(
    private readonly http: HttpClient,
    private readonly target: CentralTarget,
    /** Told the status of every answer (metrics). */
    private readonly onAnswer: (status: number) => void = () => {},
  ) {}

  async changes(table: string, request: ChangesRequest, signal?: AbortSignal): Promise<ChangesAnswer> {
    const query: Record<string, string> = { table, since: request.since, limit: String(request.limit) };
    if (request.cursor !== null) query.cursor = request.cursor;
    if (request.waitMs > 0) query.wait = String(request.waitMs);
    const response = await this.get('/v1/changes', query, signal, request.waitMs);
    if (response.status === 410) return { kind: 'reset', problem: this.parse(response, resetRequiredSchema, table, 'reset-required problem') };
    this.expectOk(response, table);
    return { kind: 'page', page: this.parse(response, changesPageSchema, table, 'changes page', asChangesPage) };
  }

  async snapshot(table: string, cursor: string | null, limit: number, signal?: AbortSignal): Promise<SnapshotAnswer> {
    const query: Record<string, string> = { table, limit: String(limit) };
    if (cursor !== null) query.cursor = cursor;
    const response = await this.get('/v1/snapshot', query, signal, 0);
    if (response.status === 410) return { kind: 'reset', problem: this.parse(response, resetRequiredSchema, table, 'reset-required problem') };
    this.expectOk(response, table);
    return { kind: 'page', page: this.parse(response, snapshotPageSchema, table, 'snapshot page', asSnapshotPage) };
  }

  /** The tables this PDV may pull; null when the server has no such endpoint (404). */
  async tables(signal?: AbortSignal): Promise<TablesResponse | null> {
    const response = await this.get('/v1/tables', {}, signal, 0);
    if (response.status === 404) return null;
    this.expectOk(response, null);
    return this.parse(response, tablesResponseSchema, null, 'tables list');
  }

  private async get(path: string, query: Record<string, string>, signal: AbortSignal | undefined, waitMs: number): Promise<HttpResponse> {
    const url = new URL(`${this.target.baseUrl.replace(/\/$/, '')}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const headers = { authorization: `Bearer ${this.target.token}`, accept: 'application/json' };
    try {
      const response = await this.http.get(url.toString(), headers, signal, waitMs + this.target.responseTimeoutMs);
      this.onAnswer(response.status);
      return response;
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      throw new CentralUnavailable(`central API unreachable: ${error.message}`, { cause: error, table: query.table ?? null });
    }
  }

  private expectOk(response: HttpResponse, table: string | null): void {
    if (response.status === 200) return;
    const problem = describeProblem(response);
    if (UNAVAILABLE.has(response.status) || response.status >= 500 || response.status === 401 || response.status === 403) {
      const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
      throw new CentralUnavailable(`central API answered ${problem}`, { status: response.status, retryAfterMs, table });
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

/** "503 Service Unavailable: database down" from a problem+json body, or the status and the start of the body. */
function describeProblem(response: HttpResponse): string {
  try {
    const problem = JSON.parse(response.body) as { title?: unknown; detail?: unknown };
    const parts = [problem.title, problem.detail].filter((part): part is string => typeof part === 'string');
    if (parts.length > 0) return `${response.status} ${parts.join(': ')}`.slice(0, 500);
  } catch {
    // not JSON
  }
  return `${response.status} ${response.body.slice(0, 200)}`.trim();
}
