import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthState, runHealthcheck, startHealthServer, type HealthServer } from '../src/health/index.js';

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** One request on a fresh socket, so nothing pooled outlives the test. */
function send(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The fields of the health answers these tests look at. */
interface HealthBody {
  error?: string;
  loop: { silenceMs: number; maxLoopSilenceMs: number };
  components: Record<string, { ok: boolean; detail?: string } | undefined>;
  degraded: Record<string, { detail: string } | undefined>;
  info: Record<string, unknown>;
}

const json = (reply: Reply): HealthBody => JSON.parse(reply.body) as HealthBody;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(state: HealthState, metrics?: () => Promise<{ contentType: string; body: string }>) {
  const server = await startHealthServer({ host: '127.0.0.1', port: 0, state, service: 'pull-service', metrics });
  cleanups.push(() => server.stop());
  return server;
}

describe('health server', () => {
  it('reports ready once required components are ok, and not ready while one is down but still live', async () => {
    const state = new HealthState({ maxLoopSilenceMs: 10_000, requiredComponents: ['database'] });
    const { port } = await serve(state);

    const before = await send(port, '/health/ready');
    expect(before.status).toBe(503);
    expect(json(before).components.database).toMatchObject({ ok: false, detail: 'not checked yet' });

    state.markReady('database');
    const ready = await send(port, '/health/ready');
    expect(ready.status).toBe(200);
    expect(json(ready)).toMatchObject({ service: 'pull-service', status: 'ok', ok: true, live: true });
    expect((await send(port, '/health')).status).toBe(200);

    state.markNotReady('database', 'connect ECONNREFUSED');
    const down = await send(port, '/health/ready');
    expect(down.status).toBe(503);
    expect(json(down).components.database).toMatchObject({ ok: false, detail: 'connect ECONNREFUSED' });
    expect((await send(port, '/health/live')).status).toBe(200);
  });

  it('fails liveness (and readiness) when the loop stops beating', async () => {
    const state = new HealthState({ maxLoopSilenceMs: 60 });
    const { port } = await serve(state);
    state.beat();
    expect((await send(port, '/health/live')).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 120));
    const stale = await send(port, '/health/live');
    expect(stale.status).toBe(503);
    expect(json(stale)).toMatchObject({ status: 'fail', ok: false, loop: { maxLoopSilenceMs: 60 } });
    expect(json(stale).loop.silenceMs).toBeGreaterThan(60);
    expect(json(await send(port, '/health/ready'))).toMatchObject({ ok: false, live: false });

    state.beat();
    expect((await send(port, '/health/live')).status).toBe(200);
  });

  it('shows degraded components and info without changing the status', async () => {
    const state = new HealthState({ maxLoopSilenceMs: 10_000 });
    state.markReady('database');
    state.setDegraded('central-api', 'VPS unreachable: ETIMEDOUT');
    state.setInfo('outboxBacklog', 42);
    const { port } = await serve(state);

    const reply = await send(port, '/health/ready');
    expect(reply.status).toBe(200);
    const body = json(reply);
    expect(body.degraded['central-api']?.detail).toBe('VPS unreachable: ETIMEDOUT');
    expect(body.info).toEqual({ outboxBacklog: 42 });
    expect(body.components['central-api']).toBeUndefined();

    state.clearDegraded('central-api');
    expect(json(await send(port, '/health/ready')).degraded).toEqual({});
  });

  it('serves metrics from the provider, and answers 500 without crashing when the provider fails', async () => {
    let fail = false;
    const { port } = await serve(new HealthState({ maxLoopSilenceMs: 10_000 }), async () => {
      if (fail) throw new Error('collector broke');
      return { contentType: 'text/plain; version=0.0.4', body: 'goldpdv_outbox_backlog 3\n' };
    });
    const metrics = await send(port, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(metrics.body).toBe('goldpdv_outbox_backlog 3\n');

    fail = true;
    const broken = await send(port, '/metrics');
    expect(broken.status).toBe(500);
    expect(json(broken).error).toBe('collector broke');
    expect((await send(port, '/health/live')).status).toBe(200);
  });

  it('answers 404 for unknown paths and for /metrics without a provider, 405 for other methods', async () => {
    const { port } = await serve(new HealthState({ maxLoopSilenceMs: 10_000 }));
    expect((await send(port, '/nope')).status).toBe(404);
    const metrics = await send(port, '/metrics');
    expect([metrics.status, json(metrics).error]).toEqual([404, 'not found']);
    const post = await send(port, '/health/ready', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await send(port, '/health/live', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('survives garbage on a raw socket and keeps serving', async () => {
    const { port } = await serve(new HealthState({ maxLoopSilenceMs: 10_000 }));
    const answer = await new Promise<string>((resolve) => {
      const socket: Socket = connect(port, '127.0.0.1', () => {
        socket.write('\u0000\u0001GARBAGE \r\n\r\n\u00ff not http at all\r\n\r\n');
      });
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(received));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect((await send(port, '/health/live')).status).toBe(200);
  });

  it('stops with a keep-alive client connected, and a second stop is harmless', async () => {
    const state = new HealthState({ maxLoopSilenceMs: 10_000 });
    const server: HealthServer = await startHealthServer({ host: '127.0.0.1', port: 0, state, service: 'push' });
    const idle = connect(server.port, '127.0.0.1');
    idle.on('error', () => undefined);
    await new Promise((resolve) => idle.once('connect', resolve));
    idle.write('GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await new Promise((resolve) => idle.once('data', resolve));

    const startedAt = Date.now();
    await server.stop();
    await server.stop();
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    await expect(send(server.port, '/health/live')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('runHealthcheck', () => {
  it('resolves 0 when ready and 1 on 503', async () => {
    const state = new HealthState({ maxLoopSilenceMs: 10_000, requiredComponents: ['database'] });
    const { port } = await serve(state);
    const url = `http://127.0.0.1:${port}/health/ready`;
    expect(await runHealthcheck(url, 2_000)).toBe(1);
    state.markReady('database');
    expect(await runHealthcheck(url, 2_000)).toBe(0);
  });

  it('resolves 1 when the connection is refused or the URL is invalid', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    expect(await runHealthcheck(`http://127.0.0.1:${port}/health/ready`, 2_000)).toBe(1);
    expect(await runHealthcheck('not a url', 200)).toBe(1);
  });

  it('resolves 1 within the timeout when the server accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as { port: number };
    const startedAt = Date.now();
    expect(await runHealthcheck(`http://127.0.0.1:${port}/health/ready`, 200)).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });
});
