import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { SYNC_CONTRACT_HEADER, SYNC_TOKENS_HEADER, type ChangesWaitAnswer, type TablesResponse } from '@goldpdv/core';
import type { Authenticator } from '../auth.js';
import type { ConcurrencyCap } from '../limits/concurrency-cap.js';
import { JsonLines, settledWithin } from '../http/json-lines.js';
import type { JsonParts } from '../http/json-parts.js';
import type { Route, RouteRequest, RouteResponse } from '../http/route.js';
import type { ChangesService } from './changes-service.js';
import { changesPageJson, changesWaitJson } from './page-json.js';
import { toHttpProblem } from './pull-problems.js';
import { streamLines } from './stream-lines.js';
import { cursorParam, heartbeatParam, limitParam, sinceParam, tableParam, waitParam, waitSyncTokensParam, waitTablesParam } from './query-params.js';
import type { SnapshotService } from './snapshot-service.js';
import type { TableRegistry } from './table-registry.js';

export interface PullRouteDeps {
  auth: Authenticator;
  registry: TableRegistry;
  changes: ChangesService;
  snapshot: SnapshotService;
  maxWaitMs: number;
  /** Upper bound of `wait` on a change stream with heartbeat lines. */
  maxStreamMs: number;
  /** Per-replica bounds on long polls and snapshot pages served at once (503 beyond). */
  caps?: { longPolls: ConcurrencyCap; snapshots: ConcurrencyCap };
  onChangesServed?: (rows: number) => void;
}

/** Aborts when the client's connection closes (or on `abort`), so a long poll stops waiting for nobody. */
function disconnectSignal(raw: IncomingMessage): { signal: AbortSignal; abort(): void; dispose(): void } {
  const controller = new AbortController();
  const socket = raw.socket;
  const onClose = (): void => controller.abort();
  socket.once('close', onClose);
  if (socket.destroyed) controller.abort();
  // Keep-alive reuses the socket for the next request: the listener must not outlive this one.
  return { signal: controller.signal, abort: () => controller.abort(), dispose: () => socket.off('close', onClose) };
}

/** The Sync-Token request header (sync-token.ts): the client's proof that it loaded the table's initial data. */
export const SYNC_TOKEN_HEADER = 'sync-token';

/** The client's pull contract version: the Sync-Contract header, 1 when it is absent (daemons before it). */
function contractOf(headers: IncomingHttpHeaders): number {
  const value = Number(headers[SYNC_CONTRACT_HEADER]);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

function syncTokenOf(headers: IncomingHttpHeaders): string | null {
  const value = headers[SYNC_TOKEN_HEADER];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Response headers of a pull page: the incarnation of the database that served it (db/incarnation.ts), which
 * the client keeps with its checkpoint, and the Sync-Token to keep, when the page hands one.
 */
function pageHeaders(answer: { syncToken: string | null; incarnation: string }): Record<string, string> {
  const headers: Record<string, string> = { 'Sync-Incarnation': answer.incarnation };
  if (answer.syncToken !== null) headers['Sync-Token'] = answer.syncToken;
  return headers;
}

/** The parameters of GET /v1/changes/wait and /v1/changes/stream. */
function waitParams(request: RouteRequest, maxWaitMs: number) {
  const query = request.query;
  const tables = waitTablesParam(query);
  // With `limit`, each answer carries the first page of each changed table the Sync-Tokens admit.
  const pages = query.has('limit') ? { limit: limitParam(query), syncTokens: waitSyncTokensParam(request.headers[SYNC_TOKENS_HEADER], tables) } : null;
  return { tables, waitMs: waitParam(query, maxWaitMs), pages };
}

/** Authenticates, runs the handler, and turns the pull services' refusals into problem+json. */
const guarded = (auth: Authenticator, handle: (request: RouteRequest, lojaId: number) => Promise<RouteResponse>) =>
  async (request: RouteRequest): Promise<RouteResponse> => {
    const identity = await auth.authenticate(request.headers);
    try {
      return await handle(request, identity.lojaId);
    } catch (error) {
      throw toHttpProblem(error);
    }
  };

/** GET /v1/tables, /v1/changes, /v1/changes/wait and /v1/snapshot: the pull side of the sync contract. */
export function pullRoutes(deps: PullRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/tables',
      handle: guarded(deps.auth, async () => {
        const tables = await deps.registry.list();
        const body: TablesResponse = {
          tables: tables.map((table) => ({ table: table.name, keyColumns: [...table.keyColumns], filtered: table.filter !== null })),
        };
        return { status: 200, body };
      }),
    },
    {
      method: 'GET',
      path: '/v1/changes',
      handle: guarded(deps.auth, async (request, lojaId) => {
        const query = request.query;
        const params = { table: tableParam(query), since: sinceParam(query), cursor: cursorParam(query), limit: limitParam(query), waitMs: waitParam(query, deps.maxWaitMs) };
        const disconnect = disconnectSignal(request.raw);
        try {
          const read = () => deps.changes.readChanges({ ...params, lojaId, syncToken: syncTokenOf(request.headers), contract: contractOf(request.headers), signal: disconnect.signal });
          const answer = params.waitMs > 0 && deps.caps ? await deps.caps.longPolls.run(read) : await read();
          deps.onChangesServed?.(answer.page.changes.length);
          return { status: 200, body: changesPageJson(answer.page), headers: pageHeaders(answer) };
        } finally {
          disconnect.dispose();
        }
      }),
    },
    {
      method: 'GET',
      path: '/v1/changes/wait',
      handle: guarded(deps.auth, async (request, lojaId) => {
        const params = waitParams(request, deps.maxWaitMs);
        const disconnect = disconnectSignal(request.raw);
        try {
          const wait = () => deps.changes.waitForAny({ ...params, lojaId, signal: disconnect.signal });
          const body = params.waitMs > 0 && deps.caps ? await deps.caps.longPolls.run(wait) : await wait();
          for (const carried of body.pages ?? []) deps.onChangesServed?.(carried.page.changes.length);
          return { status: 200, body: changesWaitJson(body) };
        } finally {
          disconnect.dispose();
        }
      }),
    },
    {
      method: 'GET',
      path: '/v1/changes/stream',
      handle: guarded(deps.auth, async (request, lojaId) => {
        // With heartbeat lines, which keep it alive through proxies, a stream may outlast a wait.
        const heartbeatMs = heartbeatParam(request.query);
        const { tables, waitMs, pages } = waitParams(request, heartbeatMs > 0 ? Math.max(deps.maxStreamMs, deps.maxWaitMs) : deps.maxWaitMs);
        // A place under the long-poll cap, held until the stream is over (JsonLines.close).
        const release = deps.caps ? deps.caps.longPolls.acquire() : () => {};
        const disconnect = disconnectSignal(request.raw);
        const close = (): void => {
          // The answer is over: whatever still waits for it (the stream's standing wait in the hub) stops now.
          disconnect.abort();
          release();
          disconnect.dispose();
        };
        const served = (answer: ChangesWaitAnswer): JsonParts => {
          for (const carried of answer.pages ?? []) deps.onChangesServed?.(carried.page.changes.length);
          return changesWaitJson(answer);
        };
        const answers = deps.changes.streamChanges({ tables, waitMs, pages, lojaId, signal: disconnect.signal });
        const pendingFirst = answers.next();
        let first: IteratorResult<ChangesWaitAnswer, void> | null;
        try {
          // The head goes out with the first answer: a failure before it is still an answer of its own (a 503).
          // With heartbeats, at the latest with the first one (null: the first answer is still to come).
          first = heartbeatMs > 0 ? await settledWithin(pendingFirst, heartbeatMs) : await pendingFirst;
        } catch (error) {
          close();
          throw error;
        }
        const lines = streamLines(first === null ? pendingFirst : first, answers, served, (error) => {
          // The answer has started: the failure cuts the connection (server.ts), so that the PDV sees a broken
          // answer and backs off, not a stream that ended as if nothing had changed.
          request.log.warn({ err: error }, 'change stream ended by a failure');
        });
        return { status: 200, body: new JsonLines(lines, close, { heartbeatMs, headNow: first === null }) };
      }),
    },
    {
      method: 'GET',
      path: '/v1/snapshot',
      handle: guarded(deps.auth, async (request, lojaId) => {
        const query = request.query;
        const params = { table: tableParam(query), cursor: cursorParam(query), limit: limitParam(query) };
        const read = () => deps.snapshot.readSnapshot({ ...params, lojaId });
        const answer = deps.caps ? await deps.caps.snapshots.run(read) : await read();
        return { status: 200, body: answer.page, headers: pageHeaders(answer) };
      }),
    },
  ];
}
