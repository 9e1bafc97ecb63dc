import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../src/http/http-client.js';
import { TransientError } from '../src/errors/index.js';
import { startTlsServer, TLS_FIXTURE, type TlsServer } from './support/tls-server.js';

describe('HTTPS to the central API', () => {
  let server: TlsServer;
  const clients: HttpClient[] = [];
  const client = (tls: { rejectUnauthorized: boolean; ca?: string }) => {
    const made = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 5_000, ...tls });
    clients.push(made);
    return made;
  };
  beforeEach(async () => {
    server = await startTlsServer(200, '{"ok":true}');
  });
  afterEach(async () => {
    for (const made of clients.splice(0)) made.close();
    await server.stop();
  });

  it('refuses a certificate it cannot verify: no request reaches the server', async () => {
    const failure = await client({ rejectUnauthorized: true })
      .post(`${server.url}/v1/events`, '{}', {})
      .then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as Error).message).toMatch(/SELF_SIGNED_CERT|self[- ]signed certificate/i);
    expect(server.requests()).toBe(0);
  });

  it('trusts a private CA given as CENTRAL_API_CA_FILE, with verification still on', async () => {
    const answer = await client({ rejectUnauthorized: true, ca: readFileSync(TLS_FIXTURE.certFile, 'utf8') }).post(`${server.url}/v1/events`, '{}', {});
    expect(answer.status).toBe(200);
    expect(server.requests()).toBe(1);
  });

  it('reaches the server only when verification is explicitly off', async () => {
    const answer = await client({ rejectUnauthorized: false }).post(`${server.url}/v1/events`, '{}', {});
    expect(answer.status).toBe(200);
    expect(server.requests()).toBe(1);
  });
});
