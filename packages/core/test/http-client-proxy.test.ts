import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createProxy, type ProxyServer } from 'proxy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../src/http/http-client.js';
import { TransientError } from '../src/errors/index.js';
import { startTlsServer, TLS_FIXTURE, type TlsServer } from './support/tls-server.js';

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

/** A real forward proxy (CONNECT for https, absolute URIs for http) on a loopback port, recording what it was asked. */
async function startProxy(): Promise<{ proxy: ProxyServer; url: string; seen: string[] }> {
  const seen: string[] = [];
  const proxy = createProxy(createServer());
  proxy.authenticate = (request) => {
    seen.push(`${request.method} ${request.url}`);
    return true;
  };
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return { proxy, url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, seen };
}

const stop = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('outbound proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', () => {
  let central: TlsServer;
  let forward: Awaited<ReturnType<typeof startProxy>>;
  const saved = new Map<string, string | undefined>();
  const clients: HttpClient[] = [];
  const client = (ca?: string) => {
    const made = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 5_000, rejectUnauthorized: true, ca });
    clients.push(made);
    return made;
  };
  const ca = () => readFileSync(TLS_FIXTURE.certFile, 'utf8');

  beforeEach(async () => {
    for (const name of PROXY_VARIABLES) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
    central = await startTlsServer(200, '{"ok":true}');
    forward = await startProxy();
  });
  afterEach(async () => {
    for (const made of clients.splice(0)) made.close();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await central.stop();
    await stop(forward.proxy);
  });

  it('tunnels HTTPS through the proxy with CONNECT, and still verifies the central certificate against the CA', async () => {
    process.env.HTTPS_PROXY = `http://user:secret@${forward.url.slice('http://'.length)}`;
    const made = client(ca());
    expect(made.proxy).toBe(forward.url);
    const answer = await made.post(`${central.url}/v1/events`, '{}', {});
    expect(answer.status).toBe(200);
    const port = new URL(central.url).port;
    expect(forward.seen).toEqual([`CONNECT 127.0.0.1:${port}`]);
    expect(central.requests()).toBe(1);
  });

  it('through the proxy, a certificate it cannot verify is still refused: no request reaches the central API', async () => {
    process.env.HTTPS_PROXY = forward.url;
    const failure = await client()
      .post(`${central.url}/v1/events`, '{}', {})
      .then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as Error).message).toMatch(/SELF_SIGNED_CERT|self[- ]signed certificate/i);
    expect(forward.seen).toHaveLength(1);
    expect(central.requests()).toBe(0);
  });

  it('sends plain HTTP through HTTP_PROXY as an absolute URI', async () => {
    const plain = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"plain":true}');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      process.env.HTTP_PROXY = forward.url;
      const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/v1/tables`;
      const answer = await client().get(url, {});
      expect(answer.body).toBe('{"plain":true}');
      expect(forward.seen).toEqual([`GET ${url}`]);
    } finally {
      await stop(plain);
    }
  });

  it('goes direct for a host NO_PROXY names', async () => {
    process.env.HTTPS_PROXY = forward.url;
    process.env.NO_PROXY = '127.0.0.1';
    const answer = await client(ca()).post(`${central.url}/v1/events`, '{}', {});
    expect(answer.status).toBe(200);
    expect(forward.seen).toEqual([]);
  });

  it('without any proxy variable, connects directly and says so', async () => {
    const made = client(ca());
    expect(made.proxy).toBeNull();
    expect((await made.post(`${central.url}/v1/events`, '{}', {})).status).toBe(200);
    expect(forward.seen).toEqual([]);
  });
});
