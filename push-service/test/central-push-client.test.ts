import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../packages/core/src/http/http-client.js';
import { CentralPushClient } from '../src/api/central-push-client.js';
import type { OutboxRow } from '../src/outbox/outbox-row.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const row: OutboxRow = {
  outboxId: '7',
  eventId: '7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a01',
  eventType: 'venda.finalizada',
  streamKey: 'caixa:1 loja/2',
  payload: '{"total":"10.5000"}',
  createdAt: '2026-11-30 10:20:01.5-03',
  attempts: 0,
  claimCount: 1,
  leaseOwner: 'w/1',
};

/** The client on the wire, against a real HTTP server on loopback that records what it gets. */
describe('central push client', () => {
  let server: Server;
  let baseUrl: string;
  let http: HttpClient;
  const received: Received[] = [];
  let reply: { status: number; headers?: Record<string, string>; body: string } = { status: 200, body: '{}' };

  beforeEach(async () => {
    received.length = 0;
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ method: request.method!, url: request.url!, headers: request.headers, body });
        response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        response.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    http = createHttpClient({ connectTimeoutMs: 1_000, responseTimeoutMs: 2_000, rejectUnauthorized: true });
  });

  afterEach(async () => {
    http.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts a batch to /v1/events with the bearer token, each event in the contract form, and hands back the answer as it is', async () => {
    reply = { status: 503, headers: { 'retry-after': '7' }, body: '{"title":"Service Unavailable"}' };
    const client = new CentralPushClient(http, { baseUrl: `${baseUrl}/`, token: 'secret' });
    const answer = await client.postBatch([row]);
    expect(answer).toMatchObject({ kind: 'answered', status: 503, body: '{"title":"Service Unavailable"}', headers: { 'retry-after': '7' } });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/events', headers: { authorization: 'Bearer secret' } });
    expect(JSON.parse(received[0]!.body)).toEqual({
      events: [{ eventId: row.eventId, type: 'venda.finalizada', streamKey: 'caixa:1 loja/2', occurredAt: '2026-11-30T13:20:01.500Z', payload: row.payload }],
    });
  });

  it('posts one event to its URL template, the payload as the body and the envelope in headers', async () => {
    reply = { status: 201, body: '{"status":"applied"}' };
    const client = new CentralPushClient(http, { baseUrl, token: 'secret', eventUrlTemplate: `${baseUrl}/api/{type}/{streamKey}/{eventId}` });
    expect(await client.postEvent(row)).toMatchObject({ kind: 'answered', status: 201, body: '{"status":"applied"}' });
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: `/api/venda.finalizada/caixa%3A1%20loja%2F2/${row.eventId}`,
      body: row.payload,
      headers: {
        authorization: 'Bearer secret',
        'idempotency-key': row.eventId,
        'x-event-type': 'venda.finalizada',
        'x-stream-key': 'caixa:1 loja/2',
        'x-occurred-at': '2026-11-30T13:20:01.500Z',
      },
    });
  });

  it('hands back the error when no answer came', async () => {
    const closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    const answer = await new CentralPushClient(http, { baseUrl: closed, token: 'secret' }).postBatch([row]);
    expect(answer.kind).toBe('unanswered');
    expect(answer.kind === 'unanswered' && answer.error).toBeInstanceOf(Error);
    // Listening again so that afterEach closes a live server.
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
});
