import { afterEach, beforeEach, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '@goldpdv/core';
import { describeBackends } from '../../packages/core/test/support/backends.js';
import { CentralPullClient } from '../src/api/central-pull-client.js';
import { ChangeStream } from '../src/api/change-stream.js';
import { waitForChanges } from '../src/api/long-poll.js';
import { startFaultProxy } from '../../packages/core/test/support/fault-proxy.js';
import type { Checkpoint } from '../src/db/checkpoint-store.js';
import { deltaCheckpoint } from './support/pull-fixtures.js';
import { insertCatalog, insertProduto } from './support/catalog-data.js';
import { PDV, startCentral, type CentralRig } from './support/central-rig.js';

/**
 * The change stream against the real central API: one open answer serves change after change while the
 * checkpoints move as its pages say; a checkpoint anywhere else (a page not applied) closes it and opens another
 * from where the checkpoints stand, and the server serves that window again. Streams opened are counted on the
 * way out of the real HTTP client.
 */
describeBackends('change stream across waits', (backend) => {
  let central: CentralRig;
  let http: HttpClient;
  let opened = 0;
  let client: CentralPullClient;
  const stop = new AbortController();

  beforeEach(async () => {
    central = await startCentral(backend, { CHANGES_POLL_INTERVAL_MS: 100, CHANGES_MAX_WAIT_MS: 2_000 }, 'info');
    await insertCatalog(central, 2);
    const real = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 10_000, rejectUnauthorized: true });
    http = {
      ...real,
      stream: (...args) => {
        opened += 1;
        return real.stream(...args);
      },
    };
    opened = 0;
    client = new CentralPullClient(http, { baseUrl: central.url, token: PDV.token, responseTimeoutMs: 10_000 });
  });
  afterEach(async () => {
    http.close();
    await central.close();
  });

  /** produto's checkpoint after a whole snapshot, as pull-service keeps it. */
  const snapshotCheckpoint = async (): Promise<Checkpoint> => {
    let cursor: string | null = null;
    for (;;) {
      const answer = await client.snapshot('produto', cursor, 500);
      if (answer.kind !== 'page') throw new Error('snapshot refused');
      if (!answer.page.hasMore) return deltaCheckpoint('produto', answer.page.snapshotVersion, answer.syncToken, answer.incarnation);
      cursor = answer.page.nextCursor;
    }
  };

  it('serves change after change on one stream while the checkpoints follow it, and opens another when one does not', async () => {
    const checkpoint = await snapshotCheckpoint();
    const stream = new ChangeStream(client);
    const tables = () => [{ table: 'produto', checkpoint }];
    const next = async (insert: number) => {
      const pending = stream.next(tables(), 10_000, stop.signal, 100);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await insertProduto(central, insert);
      const outcome = await pending;
      if (outcome?.kind !== 'answer') throw new Error(`expected an answer, got ${JSON.stringify(outcome)}`);
      return outcome.answer.pages![0]!;
    };
    try {
      const first = await next(50);
      expect(first.page.sinceVersion).toBe(checkpoint.version);
      expect(first.page.changes.map((change) => change.key.produto_id)).toEqual([50]);
      // Applied as the round would: the checkpoint moves to the page's end, and the next change comes on the same stream.
      Object.assign(checkpoint, { version: first.page.toVersion, syncToken: first.syncToken });
      const second = await next(51);
      expect(second.page.sinceVersion).toBe(first.page.toVersion);
      expect(second.page.changes.map((change) => change.key.produto_id)).toEqual([51]);
      expect(opened).toBe(1);

      // The second page is not applied: the checkpoint stays where the first left it, so the stream is closed
      // and another opened from there, which serves product 51 again at once.
      const again = await stream.next(tables(), 1_500, stop.signal, 100);
      if (again?.kind !== 'answer') throw new Error(`expected an answer, got ${JSON.stringify(again)}`);
      const third = again.answer.pages![0]!;
      expect(opened).toBe(2);
      expect(third.page.sinceVersion).toBe(first.page.toVersion);
      expect(third.page.changes.map((change) => change.key.produto_id)).toEqual([51]);

      // With nothing more, the same stream runs its time (1.5 s) and ends with a quiet line: a quiet wait, which
      // names the database's incarnation.
      Object.assign(checkpoint, { version: third.page.toVersion });
      const quiet = await stream.next(tables(), 600, stop.signal, 100);
      expect(quiet).toMatchObject({ kind: 'ended', incarnation: checkpoint.incarnation });
      expect(opened).toBe(2);

      // A PDV whose checkpoint was loaded from another database: the quiet stream's incarnation says so, and the
      // wait asks for every table to be read (whose reads then answer the reset).
      const elsewhere = [{ table: 'produto', checkpoint: { ...checkpoint, incarnation: 'another-database' } }];
      const support = { stream: true, oneRequest: true };
      expect(await waitForChanges(client, elsewhere, 600, stop.signal, { support, stream, pageLimit: 100 })).toEqual({ kind: 'changes', table: 'produto', tables: null });
    } finally {
      stream.close();
      stream.close();
    }
  });

  it('keeps a long stream open through heartbeats, passing over them, and serves a change on it', async () => {
    const checkpoint = await snapshotCheckpoint();
    // Streams of 4 s where a wait lasts 1 s: heartbeats every second keep the stream open between changes. Each
    // stream here lasts the longest its span allows.
    const stream = new ChangeStream(client, { random: () => 0.999 });
    const tables = () => [{ table: 'produto', checkpoint }];
    try {
      const started = Date.now();
      const pending = stream.next(tables(), 1_000, stop.signal, 100, 4_000);
      // Two heartbeats go by (passed over: nothing is answered), then a change comes on the same stream.
      await new Promise((resolve) => setTimeout(resolve, 2_300));
      await insertProduto(central, 60);
      const outcome = await pending;
      if (outcome?.kind !== 'answer') throw new Error(`expected an answer, got ${JSON.stringify(outcome)}`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_300);
      expect(outcome.answer.pages![0]!.page.changes.map((change) => change.key.produto_id)).toEqual([60]);
      expect(opened).toBe(1);
      // Applied: the stream runs on to its time (4 s), past a wait's length and past CHANGES_MAX_WAIT_MS (2 s),
      // which bounds streams without heartbeats, and ends with a quiet line.
      Object.assign(checkpoint, { version: outcome.answer.pages![0]!.page.toVersion, syncToken: outcome.answer.pages![0]!.syncToken });
      const quiet = await stream.next(tables(), 1_000, stop.signal, 100, 4_000);
      expect(quiet).toMatchObject({ kind: 'ended', incarnation: checkpoint.incarnation });
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_800);
      expect(opened).toBe(1);
    } finally {
      stream.close();
    }
  });

  it('spreads the streams of a fleet: a first stream lasts from one wait up, one after a stream that ran its time at least three quarters', async () => {
    const checkpoint = await snapshotCheckpoint();
    const tables = () => [{ table: 'produto', checkpoint }];
    // The shortest each span allows: a first stream of 4 s may end after one wait (1 s) ...
    const stream = new ChangeStream(client, { random: () => 0 });
    try {
      let started = Date.now();
      expect(await stream.next(tables(), 1_000, stop.signal, 100, 4_000)).toMatchObject({ kind: 'ended' });
      const first = Date.now() - started;
      expect(first).toBeGreaterThanOrEqual(900);
      expect(first).toBeLessThan(2_500);
      // ... and the one after it, which ran its time, lasts at least 3 s.
      started = Date.now();
      expect(await stream.next(tables(), 1_000, stop.signal, 100, 4_000)).toMatchObject({ kind: 'ended' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
      expect(opened).toBe(2);
    } finally {
      stream.close();
    }
  });

  it('takes a stream whose head a buffering proxy holds back for held back, and waits with one request meanwhile', async () => {
    const checkpoint = await snapshotCheckpoint();
    const tables = () => [{ table: 'produto', checkpoint }];
    // The fault proxy passes each answer on only once it has all of it, as a proxy that buffers answers does.
    const proxy = await startFaultProxy(central.url);
    const throughProxy = new CentralPullClient(http, { baseUrl: proxy.url, token: PDV.token, responseTimeoutMs: 10_000, heartbeatGraceMs: 500 });
    const told: number[] = [];
    // Each stream lasts the longest its span allows: one that ended before its head was due would pass whole.
    const stream = new ChangeStream(throughProxy, { random: () => 0.999, onHeldBack: (pauseMs) => told.push(pauseMs) });
    try {
      // A long stream (heartbeats every second): its head would come within a second, and does not.
      const started = Date.now();
      const outcome = await stream.next(tables(), 1_000, stop.signal, 100, 8_000);
      const waited = Date.now() - started;
      expect(outcome).toMatchObject({ kind: 'held-back' });
      expect(waited).toBeGreaterThanOrEqual(1_400);
      expect(waited).toBeLessThan(5_000);
      expect(told).toEqual([10 * 60_000]);
      expect(opened).toBe(1);

      // Meanwhile no stream is opened: the wait goes as one request (GET /v1/changes/wait), which the proxy
      // passes on whole, and the change comes with it.
      const support = { stream: true, oneRequest: true };
      const pending = waitForChanges(throughProxy, tables(), 5_000, stop.signal, { support, stream, streamMs: 8_000, pageLimit: 100 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await insertProduto(central, 70);
      const waitedFor = await pending;
      expect(waitedFor).toMatchObject({ kind: 'changes', table: 'produto', tables: ['produto'] });
      expect(opened).toBe(1);
      expect(support.stream).toBe(true);
      expect(proxy.requests.map((request) => new URL(request.url, 'http://x').pathname)).toEqual(['/v1/changes/stream', '/v1/changes/wait']);
    } finally {
      stream.close();
      await proxy.stop();
    }
  });
});
