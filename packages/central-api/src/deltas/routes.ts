import type { IncomingMessage } from 'node:http';
import type { TablesResponse } from '@goldpdv/core';
import type { Authenticator } from '../auth.js';
import type { Route, RouteRequest, RouteResponse } from '../http/route.js';
import type { ChangesService } from './changes-service.js';
import { toHttpProblem } from './pull-problems.js';
import { cursorParam, limitParam, sinceParam, tableParam, waitParam } from './query-params.js';
import type { SnapshotService } from './snapshot-service.js';
import type { TableRegistry } from './table-registry.js';

export interface PullRouteDeps {
  auth: Authenticator;
  registry: TableRegistry;
  changes: ChangesService;
  snapshot: SnapshotService;
  maxWaitMs: number;
  onChangesServed?: (rows: number) => void;
}

/** Aborts when the client's connection closes, so a long poll stops waiting for nobody. */
function disconnectSignal(raw: IncomingMessage): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const socket = raw.socket;
  const onClose = (): void => controller.abort();
  socket.once('close', onClose);
  if (socket.destroyed) controller.abort();
  // Keep-alive reuses the socket for the next request: the listener must not outlive this one.
  return { signal: controller.signal, dispose: () => socket.off('close', onClose) };
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

/** GET /v1/tables, /v1/changes and /v1/snapshot: the pull side of the sync contract. */
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
          const body = await deps.changes.readChanges({ ...params, lojaId, signal: disconnect.signal });
          deps.onChangesServed?.(body.changes.length);
          return { status: 200, body };
        } finally {
          disconnect.dispose();
        }
      }),
    },
    {
      method: 'GET',
      path: '/v1/snapshot',
      handle: guarded(deps.auth, async (request, lojaId) => {
        const query = request.query;
        const params = { table: tableParam(query), cursor: cursorParam(query), limit: limitParam(query) };
        return { status: 200, body: await deps.snapshot.readSnapshot({ ...params, lojaId }) };
      }),
    },
  ];
}
