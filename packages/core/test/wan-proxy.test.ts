import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STORE_LINK, startWanProxy, type WanCounters, type WanProxy } from './support/wan-proxy.js';

/**
 * The WAN proxy against real loopback servers. Timings are asserted from below only (the link may never be
 * faster than its shape; a busy machine can always make it slower), with a generous ceiling that only catches
 * a proxy that stalls.
 */
const ROUND_TRIP_MS = 2 * STORE_LINK.oneWayDelayMs;
const BYTES_PER_MS = STORE_LINK.bitsPerSecond / 8 / 1_000;
/** setTimeout may fire up to a millisecond before its time, as measured by performance.now(). */
const TIMER_SLACK_MS = 2;
const STALL_MS = 10_000;

/** Echoes every chunk; answers a FIN with "bye" and its own FIN, so a half-closed client still gets data. */
function echoServer(socket: net.Socket): void {
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
  socket.on('end', () => socket.end('bye'));
  socket.on('error', () => undefined);
}

/** "sink": counts what arrives and, at the client's FIN, answers with the count. "send N": answers N bytes, in order. */
function trafficServer(socket: net.Socket): void {
  let mode: 'unknown' | 'sink' = 'unknown';
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    if (mode === 'sink') {
      received += chunk.length;
      return;
    }
    const text = chunk.toString('latin1');
    const send = /^send (\d+)\n/.exec(text);
    if (send) {
      socket.end(pattern(Number(send[1])));
      return;
    }
    mode = 'sink';
    received += chunk.length - 'sink\n'.length;
  });
  socket.on('end', () => {
    if (mode === 'sink') socket.end(String(received));
  });
  socket.on('error', () => undefined);
}

/** Bytes whose order can be checked: byte i is i mod 251. */
function pattern(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = i % 251;
  return bytes;
}

let echo: net.Server;
let traffic: net.Server;
let echoProxy: WanProxy;
let trafficProxy: WanProxy;

const listen = async (server: net.Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
};

beforeAll(async () => {
  echo = net.createServer({ allowHalfOpen: true }, echoServer);
  traffic = net.createServer({ allowHalfOpen: true }, trafficServer);
  echoProxy = await startWanProxy({ host: '127.0.0.1', port: await listen(echo) });
  trafficProxy = await startWanProxy({ host: '127.0.0.1', port: await listen(traffic) });
});

afterAll(async () => {
  await echoProxy.stop();
  await trafficProxy.stop();
  await new Promise((resolve) => echo.close(resolve));
  await new Promise((resolve) => traffic.close(resolve));
});

/** A client connection that collects what it receives and records when the far side's FIN and the close came. */
async function connect(proxy: WanProxy) {
  const socket = net.connect({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true });
  socket.setNoDelay(true);
  const received: Buffer[] = [];
  let waiter: { bytes: number; resolve: () => void } | undefined;
  const total = () => received.reduce((sum, chunk) => sum + chunk.length, 0);
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    if (waiter && total() >= waiter.bytes) waiter.resolve();
  });
  socket.on('error', () => undefined);
  const ended = new Promise<number>((resolve) => socket.on('end', () => resolve(performance.now())));
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    ended,
    closed,
    received: () => Buffer.concat(received),
    /** Resolves once `bytes` bytes in all have arrived. */
    until(bytes: number) {
      return total() >= bytes ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { bytes, resolve }));
    },
  };
}

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the proxy stalled: ${what}`)), STALL_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

const delta = (before: WanCounters, after: WanCounters) => ({ up: after.bytesUp - before.bytesUp, down: after.bytesDown - before.bytesDown });

it('adds the round trip to every exchange (and the handshake to the first), and counts the bytes each way', async () => {
  const before = echoProxy.counters();
  // Timed from before the connection: the proxy's handshake round trip starts when it accepts, which a loaded
  // event loop may report to this side some milliseconds later.
  let sent = performance.now();
  const client = await connect(echoProxy);
  client.socket.write('ping-1');
  await within(client.until(6), 'first ping');
  // Handshake (one round trip) + the request out + the answer back.
  expect(performance.now() - sent).toBeGreaterThanOrEqual(2 * ROUND_TRIP_MS - TIMER_SLACK_MS);
  for (let i = 2; i <= 4; i += 1) {
    sent = performance.now();
    client.socket.write(`ping-${i}`);
    await within(client.until(6 * i), `ping ${i}`);
    expect(performance.now() - sent).toBeGreaterThanOrEqual(ROUND_TRIP_MS - TIMER_SLACK_MS);
  }
  expect(client.received().toString()).toBe('ping-1ping-2ping-3ping-4');
  client.socket.end();
  await within(client.closed, 'close');
  expect(delta(before, echoProxy.counters())).toEqual({ up: 24, down: 24 + 'bye'.length });
});

it('paces an upload to the link rate, in order and complete', async () => {
  const bytes = 625_000; // half a second at 10 Mbit/s
  const before = trafficProxy.counters();
  const client = await connect(trafficProxy);
  const started = performance.now();
  client.socket.write('sink\n');
  client.socket.end(pattern(bytes));
  await within(client.ended, 'the upload');
  const elapsed = performance.now() - started;
  expect(client.received().toString()).toBe(String(bytes));
  expect(elapsed).toBeGreaterThanOrEqual((bytes - STORE_LINK.burstBytes) / BYTES_PER_MS + ROUND_TRIP_MS - TIMER_SLACK_MS);
  expect(delta(before, trafficProxy.counters())).toEqual({ up: bytes + 'sink\n'.length, down: String(bytes).length });
});

it('paces a download to the link rate, in order, and shares the rate between connections', async () => {
  const bytes = 312_500; // a quarter of a second at 10 Mbit/s, each
  const before = trafficProxy.counters();
  const clients = await Promise.all([connect(trafficProxy), connect(trafficProxy)]);
  const started = performance.now();
  for (const client of clients) client.socket.write(`send ${bytes}\n`);
  await within(Promise.all(clients.map((client) => client.ended)), 'the downloads');
  const elapsed = performance.now() - started;
  for (const client of clients) {
    expect(client.received().equals(pattern(bytes))).toBe(true);
    client.socket.end();
  }
  // Both answers went through one 10 Mbit/s direction.
  expect(elapsed).toBeGreaterThanOrEqual((2 * bytes - STORE_LINK.burstBytes) / BYTES_PER_MS + ROUND_TRIP_MS - TIMER_SLACK_MS);
  expect(delta(before, trafficProxy.counters()).down).toBe(2 * bytes);
  await within(Promise.all(clients.map((client) => client.closed)), 'close');
});

it('carries a half-close in both directions: the client ends, still reads the answer, then the server ends', async () => {
  const client = await connect(echoProxy);
  client.socket.write('last words');
  const finSent = performance.now();
  client.socket.end();
  const endSeen = await within(client.ended, "the server's FIN");
  expect(client.received().toString()).toBe('last wordsbye');
  // Our FIN reached the server (its "bye" is the answer to it) and the server's FIN came back: a round trip at least.
  expect(endSeen - finSent).toBeGreaterThanOrEqual(ROUND_TRIP_MS - TIMER_SLACK_MS);
  await within(client.closed, 'close');
});

it('cuts open connections and drops new ones while the link is down, and carries traffic again once it is up', async () => {
  const open = await connect(echoProxy);
  open.socket.write('hello');
  await within(open.until(5), 'hello');
  const before = echoProxy.counters();
  echoProxy.setLinkUp(false);
  await within(open.closed, 'the cut of an open connection');

  // Reset on arrival: depending on timing the client sees it during the connect or just after.
  const refused = net.connect({ host: '127.0.0.1', port: echoProxy.port });
  let bytes = 0;
  refused.on('data', (chunk: Buffer) => (bytes += chunk.length));
  refused.on('error', () => undefined);
  await within(new Promise((resolve) => refused.on('close', resolve)), 'a connection made while the link is down');
  expect(bytes).toBe(0);
  expect(echoProxy.counters().refused).toBe(before.refused + 1);

  echoProxy.setLinkUp(true);
  const again = await connect(echoProxy);
  again.socket.write('back');
  await within(again.until(4), 'traffic after the link came back');
  again.socket.end();
  await within(again.closed, 'close');
});

it('cuts the client when the target resets, and when the target is not there at all', async () => {
  const resetting = net.createServer((socket) => socket.resetAndDestroy());
  const proxy = await startWanProxy({ host: '127.0.0.1', port: await listen(resetting) });
  try {
    const client = await connect(proxy);
    client.socket.write('anyone?');
    await within(client.closed, 'close after a reset');
  } finally {
    await proxy.stop();
    await new Promise((resolve) => resetting.close(resolve));
  }
  const port = await listen(resetting);
  await new Promise((resolve) => resetting.close(resolve));
  const nowhere = await startWanProxy({ host: '127.0.0.1', port });
  try {
    const client = await connect(nowhere);
    await within(client.closed, 'close when the target refuses');
    expect(client.received().length).toBe(0);
  } finally {
    await nowhere.stop();
    await nowhere.stop();
  }
});
