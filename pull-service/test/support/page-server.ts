import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, type ChangesPage, type SnapshotPage } from '@goldpdv/core';
import { CentralPullClient } from '../../src/api/central-pull-client.js';
import type { Logger } from '../../src/logger.js';
import { memoryLogger } from './pull-fixtures.js';

/**
 * A real HTTP server on loopback that answers every GET /v1/changes or /v1/snapshot with the page the test set,
 * and the pull client that reads it: the apply steps fetch their page as in production, without a central
 * database behind it, so that a test can hand them exactly the rows it needs. With a logger for their lines.
 */
export interface PageServer {
  client: CentralPullClient;
  logger: Logger;
  /** The next answers, whatever the request's version and cursor, with these response headers (a Sync-Token...). */
  answerWith(page: ChangesPage | SnapshotPage, headers?: Record<string, string>): void;
  /** Every request received: its path and query, and its headers. */
  requests: { url: string; headers: Record<string, string | string[] | undefined> }[];
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  let page: ChangesPage | SnapshotPage | null = null;
  let headers: Record<string, string> = {};
  const requests: PageServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: { ...req.headers } });
    if (page === null) res.writeHead(503, { 'content-type': 'application/json' }).end('{"title":"no page set by the test"}');
    else res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(page));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const http = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 10_000, rejectUnauthorized: true });
  const logs = memoryLogger();
  return {
    client: new CentralPullClient(http, { baseUrl, token: 'token-of-the-test', responseTimeoutMs: 10_000 }),
    logger: logs.sync.logger,
    requests,
    answerWith(next, nextHeaders = {}) {
      page = next;
      headers = nextHeaders;
    },
    async close() {
      http.close();
      await logs.sync.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
