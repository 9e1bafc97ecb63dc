import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '@goldpdv/core';
import { CentralPullClient } from '../src/api/central-pull-client.js';
import type { Checkpoint } from '../src/db/checkpoint-store.js';
import { ChangeStream } from '../src/api/change-stream.js';
import { waitForChanges } from '../src/api/long-poll.js';
import { deltaCheckpoint, PRODUTO_COLUMNS } from './support/pull-fixtures.js';

/**
 * The long poll runs once per quiet round for as long as the daemon lives, always under the worker's one stop
 * signal: it must leave nothing hooked onto that signal. A real server on loopback answers every wait at once
 * with an empty page, as a central API that does not hold requests would, and GET /v1/changes/wait with 404,
 * as a central API before that endpoint does (or, when told, with an answer naming no table).
 */
describe('long poll', () => {
  let server: Server;
  let baseUrl: string;
  let requests = 0;
  let waitRequests = 0;
  let waitEndpoint = false;
  let streamRequests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      if (req.url?.startsWith('/v1/changes/stream')) {
        streamRequests += 1;
        res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"type":"about:blank","title":"Not found","status":404}');
        return;
      }
      if (req.url?.startsWith('/v1/changes/wait')) {
        waitRequests += 1;
        if (!waitEndpoint) res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"type":"about:blank","title":"Not found","status":404}');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"changed":[],"incarnation":null}');
        return;
      }
      const table = new URL(req.url ?? '/', 'http://x').searchParams.get('table');
      const page = { table, sinceVersion: '5', toVersion: '5', keyColumns: ['produto_id'], columns: PRODUTO_COLUMNS, changes: [], hasMore: false, nextCursor: null };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('leaves no listener on the stop signal, however many rounds it waits', async () => {
    const http = createHttpClient({ connectTimeoutMs: 1_000, responseTimeoutMs: 5_000, rejectUnauthorized: true });
    const client = new CentralPullClient(http, { baseUrl, token: 't', responseTimeoutMs: 5_000 });
    const stop = new AbortController();
    const checkpoint = (table: string): Checkpoint => deltaCheckpoint(table, '5');
    const tables = ['produto', 'categoria'].map((table) => ({ table, checkpoint: checkpoint(table) }));
    const support = { oneRequest: true };
    try {
      for (let round = 0; round < 200; round++) {
        expect(await waitForChanges(client, tables, 1_000, stop.signal, { support })).toEqual({ kind: 'early' });
      }
      // One 404 for the one-request wait, then one request per table each round.
      expect(waitRequests).toBe(1);
      expect(support.oneRequest).toBe(false);
      expect(requests).toBe(401);
      // A server with the endpoint: one request per round for both tables.
      waitEndpoint = true;
      const both = { oneRequest: true };
      for (let round = 0; round < 50; round++) {
        expect(await waitForChanges(client, tables, 1_000, stop.signal, { support: both })).toEqual({ kind: 'early' });
      }
      expect(waitRequests).toBe(51);
      expect(requests).toBe(451);
      // A server without the change stream: one 404, then the one-request wait for good.
      const withStream = { stream: true, oneRequest: true };
      const stream = new ChangeStream(client);
      for (let round = 0; round < 20; round++) {
        expect(await waitForChanges(client, tables, 1_000, stop.signal, { support: withStream, stream })).toEqual({ kind: 'early' });
      }
      expect(streamRequests).toBe(1);
      expect(withStream.stream).toBe(false);
      expect(waitRequests).toBe(71);
    } finally {
      http.close();
    }
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
