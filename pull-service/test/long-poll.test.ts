import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '@goldpdv/core';
import { CentralPullClient } from '../src/central-pull-client.js';
import type { Checkpoint } from '../src/checkpoint-store.js';
import { waitForChanges } from '../src/long-poll.js';
import { PRODUTO_COLUMNS } from './support/pull-fixtures.js';

/**
 * The long poll runs once per quiet round for as long as the daemon lives, always under the worker's one stop
 * signal: it must leave nothing hooked onto that signal. A real server on loopback answers every wait at once
 * with an empty page, as a central API that does not hold requests would.
 */
describe('long poll', () => {
  let server: Server;
  let baseUrl: string;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
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
    const checkpoint = (table: string): Checkpoint => ({
      table,
      version: '5',
      mode: 'delta',
      deltaCursor: null,
      deltaToVersion: null,
      snapshotVersion: null,
      snapshotCursor: null,
      snapshotLastKey: null,
      rowsApplied: '0',
      pendingDeletes: [],
      lastSuccessAt: null,
      lastError: null,
      lastErrorAt: null,
    });
    const tables = ['produto', 'categoria'].map((table) => ({ table, checkpoint: checkpoint(table) }));
    try {
      for (let round = 0; round < 200; round++) {
        expect(await waitForChanges(client, tables, 1_000, stop.signal)).toEqual({ kind: 'early' });
      }
    } finally {
      http.close();
    }
    expect(requests).toBe(400);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
