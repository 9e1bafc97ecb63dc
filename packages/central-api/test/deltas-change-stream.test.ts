import { setTimeout as sleep } from 'node:timers/promises';
import { changesWaitSchema, createHttpClient, STREAM_HEARTBEAT_LINE, type ChangesWaitAnswer, type HttpClient, type HttpResponse } from '@goldpdv/core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS } from './support/central-harness.js';
import { until } from './support/until.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertPreco, insertProdutos, markRestore } from './deltas-fixtures.js';

/**
 * GET /v1/changes/stream on a real database, read as pull-service reads it (core's HTTP client, gzip accepted):
 * one open answer per PDV, a line per change that reaches it, each table waiting on from the end of the page it
 * carried; a line that names a table with no page ends the stream, and so does its time, with a quiet line.
 */
describeBackends('change stream', (backend) => {
  let rig: DeltasRig;
  let http: HttpClient;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { CHANGES_POLL_INTERVAL_MS: 100, LONG_POLLS_MAX: 2 });
    await insertProdutos(rig, [1, 2]);
  });
  afterAll(async () => rig?.close());
  beforeEach(() => {
    http = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 10_000, rejectUnauthorized: true });
  });
  afterEach(() => http.close());

  const open = (tables: Record<string, string>, tokens: Record<string, string | null>, options: { wait?: number; pdv?: string } = {}): Promise<HttpResponse> => {
    const query = Object.entries(tables).map(([table, version]) => `${table}:${version}`).join(',');
    const header = Object.entries(tokens).flatMap(([table, token]) => (token ? [`${table}=${token}`] : [])).join(', ');
    const url = `http://127.0.0.1:${rig.port}/v1/changes/stream?tables=${query}&wait=${options.wait ?? 20_000}&limit=100`;
    return http.stream(url, { authorization: `Bearer ${options.pdv ?? PDVS.a.token}`, 'sync-contract': '2', 'sync-tokens': header });
  };
  const keysOf = (answer: ChangesWaitAnswer | null, table: string) =>
    answer?.pages?.find((carried) => carried.page.table === table)?.page.changes.map((change) => change.key.produto_id);

  it('sends a line per change on one open answer, each table waiting on from the end of the page it carried', async () => {
    const since = { produto: await rig.checkpoint('produto'), preco_loja: await rig.checkpoint('preco_loja') };
    const streamed = open(since, { produto: rig.syncTokenOf('produto'), preco_loja: rig.syncTokenOf('preco_loja') });
    await until(() => rig.waiting() === 1, 'the stream to wait');
    // Another loja's price sends nothing: the stream waits on.
    await insertPreco(rig, 2, 1, '1.1100');
    await insertProdutos(rig, [40]);
    const response = await streamed;
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(response.headers['content-encoding']).toBe('gzip');
    const first = await nextAnswer(response);
    expect(first).toMatchObject({ changed: ['produto'], incarnation: expect.any(String) });
    expect(first!.pages![0]!.page).toMatchObject({ sinceVersion: since.produto, hasMore: false });
    expect(keysOf(first, 'produto')).toEqual([40]);

    // The next change comes on the same answer, in a page from where the last one ended: 40 is not sent again.
    await insertProdutos(rig, [41]);
    const second = await nextAnswer(response);
    expect(second!.pages![0]!.page.sinceVersion).toBe(first!.pages![0]!.page.toVersion);
    expect(keysOf(second, 'produto')).toEqual([41]);
    // Its own loja's price: a page of preco_loja from the PDV's checkpoint, with loja 1's row only.
    await insertPreco(rig, 1, 2, '2.2200');
    const third = await nextAnswer(response);
    expect(third!.changed).toEqual(['preco_loja']);
    expect(third!.pages![0]!.page).toMatchObject({ table: 'preco_loja', sinceVersion: since.preco_loja });
    expect(third!.pages![0]!.page.changes).toEqual([expect.objectContaining({ key: { loja_id: 1, produto_id: 2 } })]);
    // Still one request, waiting again as before the first line.
    await until(() => rig.waiting() === 1, 'the stream to wait again');
    // The PDV goes away: the stream stops waiting, and its place under the long-poll cap is free again.
    response.lines!.close();
    await until(() => rig.waiting() === 0, 'the stream to end with its connection');
  });

  it('ends after a line that names a table it carries no page of, and when its time is up', async () => {
    const since = { produto: await rig.checkpoint('produto'), preco_loja: await rig.checkpoint('preco_loja') };
    // No Sync-Token for preco_loja: a change there is named only, and the PDV must read it itself.
    const streamed = open(since, { produto: rig.syncTokenOf('produto'), preco_loja: null });
    await until(() => rig.waiting() === 1, 'the stream to wait');
    await insertPreco(rig, 1, 1, '3.3300');
    const response = await streamed;
    expect(await nextAnswer(response)).toEqual({ changed: ['preco_loja'], incarnation: expect.any(String), pages: [] });
    expect(await nextAnswer(response)).toBeNull();
    expect(rig.waiting()).toBe(0);

    // Nothing changes: after its time the answer ends with one quiet line, which names the database's
    // incarnation (a PDV loaded from another one learns it there).
    const started = Date.now();
    const quiet = await open({ produto: await rig.checkpoint('produto') }, { produto: rig.syncTokenOf('produto') }, { wait: 600 });
    expect(quiet.status).toBe(200);
    expect(await nextAnswer(quiet)).toEqual({ changed: [], incarnation: expect.any(String) });
    expect(await nextAnswer(quiet)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('takes a place under the long-poll cap for as long as it runs, and is refused 503 beyond it', async () => {
    const since = await rig.checkpoint('produto');
    const held = [open({ produto: since }, { produto: rig.syncTokenOf('produto') }, { wait: 3_000 }), open({ produto: since }, { produto: rig.syncTokenOf('produto') }, { wait: 3_000 })];
    await until(() => rig.waiting() === 2, 'two streams to wait');
    const refused = await open({ produto: since }, { produto: rig.syncTokenOf('produto') });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    for (const response of await Promise.all(held)) {
      expect(await nextAnswer(response)).toMatchObject({ changed: [] });
      expect(await nextAnswer(response)).toBeNull();
    }
    const again = open({ produto: since }, { produto: rig.syncTokenOf('produto') }, { wait: 200 });
    expect((await again).status).toBe(200);
    // A malformed request is a 400 naming the parameter, before any place is taken.
    const bad = await http.stream(`http://127.0.0.1:${rig.port}/v1/changes/stream?tables=produto&wait=100`, { authorization: `Bearer ${PDVS.a.token}` });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ field: 'tables' });
  });
});

/** The next line of a stream as the answer it is; null at its end. */
async function nextAnswer(response: HttpResponse): Promise<ChangesWaitAnswer | null> {
  const line = await response.lines!.next();
  return line === null ? null : changesWaitSchema.parse(JSON.parse(line));
}

/**
 * A checkpoint once the serving clock has taken in every change so far: the same version twice, a clock
 * interval apart. Streams opened at it then wait from the same levels, whatever epoch each first read in.
 */
async function settledCheckpoint(rig: DeltasRig, table: string, pdv?: string): Promise<string> {
  let last = await rig.checkpoint(table, pdv);
  for (;;) {
    await sleep(250);
    const now = await rig.checkpoint(table, pdv);
    if (now === last) return now;
    last = now;
  }
}

/**
 * Streams that a change releases together, at the same checkpoints: each round (which tables changed, their
 * first pages) is worked out once for every stream with the same key, and each answer is still the
 * PDV's own: carried only past its own Sync-Token, which it gets back, and never another loja's rows.
 */
describeBackends('change streams woken together', (backend) => {
  let rig: DeltasRig;
  let http: HttpClient;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { CHANGES_POLL_INTERVAL_MS: 100 });
    await insertProdutos(rig, [1]);
  });
  afterAll(async () => rig?.close());
  beforeEach(() => {
    http = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 10_000, rejectUnauthorized: true });
  });
  afterEach(() => http.close());

  const open = (tables: Record<string, string>, tokens: Record<string, string>, pdv: string = PDVS.a.token): Promise<HttpResponse> => {
    const query = Object.entries(tables).map(([table, version]) => `${table}:${version}`).join(',');
    const header = Object.entries(tokens).map(([table, token]) => `${table}=${token}`).join(', ');
    return http.stream(`http://127.0.0.1:${rig.port}/v1/changes/stream?tables=${query}&wait=20000&limit=100`, { authorization: `Bearer ${pdv}`, 'sync-contract': '2', 'sync-tokens': header });
  };
  it('work a round out once for the streams at the same checkpoints, each carrying the page past its own Sync-Token only', async () => {
    await settledCheckpoint(rig, 'produto');
    const older = rig.syncTokenOf('produto')!;
    await insertProdutos(rig, [2]);
    const since = await settledCheckpoint(rig, 'produto');
    const newer = rig.syncTokenOf('produto')!;
    await settledCheckpoint(rig, 'preco_loja');
    const ofAnotherTable = rig.syncTokenOf('preco_loja')!;
    expect(new Set([older, newer, ofAnotherTable]).size).toBe(3);
    // Five streams at one checkpoint: tokens of two snapshots of produto, and one of another table, which admits none.
    const tokens = [older, newer, newer, older, ofAnotherTable];
    const streams = tokens.map((token) => open({ produto: since }, { produto: token }));
    await until(() => rig.waiting() === tokens.length, 'the five streams to wait');
    const before = rig.waitRounds();
    await insertProdutos(rig, [3]);
    const answers = await Promise.all(streams.map(async (streamed) => nextAnswer(await streamed)));
    const after = rig.waitRounds();
    expect({ worked: after.worked - before.worked, shared: after.shared - before.shared }).toEqual({ worked: 1, shared: 4 });
    answers.slice(0, 4).forEach((answer, index) => {
      expect(answer!.changed).toEqual(['produto']);
      expect(answer!.pages!.map(({ page }) => page.changes.map((change) => change.key.produto_id))).toEqual([[3]]);
      // Its own token back (still signed by the newest key), not the one of the PDV whose round it shares.
      expect(answer!.pages![0]!.syncToken).toBe(tokens[index]);
    });
    // Not admitted: named only, and the PDV reads the table itself (its read tells it to load it again).
    expect(answers[4]).toEqual({ changed: ['produto'], incarnation: expect.any(String), pages: [] });
    for (const streamed of streams) (await streamed).lines!.close();
  });

  it("keep each loja's round its own: a price reaches the streams of its loja, and the other loja's wait on", async () => {
    const since = { produto: await settledCheckpoint(rig, 'produto'), preco_loja: await settledCheckpoint(rig, 'preco_loja') };
    const tokensA = { produto: rig.syncTokenOf('produto')!, preco_loja: rig.syncTokenOf('preco_loja')! };
    const sinceB = { produto: await rig.checkpoint('produto', PDVS.b.token), preco_loja: await rig.checkpoint('preco_loja', PDVS.b.token) };
    const tokensB = { produto: rig.syncTokenOf('produto', PDVS.b.token)!, preco_loja: rig.syncTokenOf('preco_loja', PDVS.b.token)! };
    expect(sinceB).toEqual(since);
    const ofA = [open(since, tokensA), open(since, tokensA)];
    const ofB = open(since, tokensB, PDVS.b.token);
    await until(() => rig.waiting() === 3, 'the three streams to wait');
    const before = rig.waitRounds();
    await insertPreco(rig, 1, 1, '4.4400');
    const answersA = await Promise.all(ofA.map(async (streamed) => nextAnswer(await streamed)));
    for (const answer of answersA) {
      expect(answer!.changed).toEqual(['preco_loja']);
      expect(answer!.pages![0]!.page.changes).toEqual([expect.objectContaining({ key: { loja_id: 1, produto_id: 1 } })]);
    }
    // Loja 2's stream was woken too (its table changed), found nothing of its own and waits on, with no line.
    await until(() => rig.waiting() === 3, "loja 2's stream and loja 1's to wait again");
    const after = rig.waitRounds();
    expect({ worked: after.worked - before.worked, shared: after.shared - before.shared }).toEqual({ worked: 2, shared: 1 });
    // Its own loja's price comes on the same stream, and is its first line.
    await insertPreco(rig, 2, 1, '5.5500');
    const answerB = await nextAnswer(await ofB);
    expect(answerB!.pages![0]!.page.changes).toEqual([expect.objectContaining({ key: { loja_id: 2, produto_id: 1 } })]);
    for (const streamed of [...ofA, ofB]) (await streamed).lines!.close();
  });
});

/**
 * A price of one loja moves its table for every stream that waits on it. Once the round of another loja's
 * streams is worked out for one of them and names nothing, the rest of them are left waiting where they are
 * (their levels moved past the change) instead of each being woken to find the same nothing.
 */
describeBackends("another loja's change", (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { CHANGES_POLL_INTERVAL_MS: 100 });
    await insertProdutos(rig, [1, 70]);
  });
  afterAll(async () => rig?.close());
  /**
   * More of loja 2's streams than the hub releases in one turn of the event loop (64), so that later batches
   * can meet a round already worked out for their loja (whether they do depends on when its read comes back).
   */
  const B_STREAMS = 150;

  it("leave the other loja's streams waiting once their round is known to hold nothing, and serve each its own loja's price later", async () => {
    const since = { produto: await settledCheckpoint(rig, 'produto'), preco_loja: await settledCheckpoint(rig, 'preco_loja') };
    expect({ produto: await rig.checkpoint('produto', PDVS.b.token), preco_loja: await rig.checkpoint('preco_loja', PDVS.b.token) }).toEqual(since);
    const tokensOf = (pdv: string) => `produto=${rig.syncTokenOf('produto', pdv)!}, preco_loja=${rig.syncTokenOf('preco_loja', pdv)!}`;
    const many = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 20_000, rejectUnauthorized: true, maxSockets: 400 });
    const open = (pdv: string): Promise<HttpResponse> =>
      many.stream(`http://127.0.0.1:${rig.port}/v1/changes/stream?tables=produto:${since.produto},preco_loja:${since.preco_loja}&wait=20000&limit=100`, {
        authorization: `Bearer ${pdv}`,
        'sync-contract': '2',
        'sync-tokens': tokensOf(pdv),
      });
    const ofA = Array.from({ length: 3 }, () => open(PDVS.a.token));
    const ofB = Array.from({ length: B_STREAMS }, () => open(PDVS.b.token));
    try {
      await until(() => rig.waiting() === 3 + B_STREAMS, 'every stream to wait');
      const before = rig.waitRounds();
      await insertPreco(rig, 1, 1, '6.6600');
      for (const answer of await Promise.all(ofA.map(async (streamed) => nextAnswer(await streamed)))) {
        expect(answer!.pages![0]!.page.changes).toEqual([expect.objectContaining({ key: { loja_id: 1, produto_id: 1 } })]);
      }
      // Every stream has been released (a queued release still counts as waiting), and waits again.
      const released = (): number => {
        const now = rig.waitRounds();
        return now.worked + now.shared + now.quiet - (before.worked + before.shared + before.quiet);
      };
      await until(() => released() >= 3 + B_STREAMS && rig.waiting() === 3 + B_STREAMS, 'every stream to be released and to wait again');
      const after = rig.waitRounds();
      const delta = { worked: after.worked - before.worked, shared: after.shared - before.shared, quiet: after.quiet - before.quiet };
      // One round per loja; every other stream either took its loja's round as it was handed on or, once it was
      // known to name nothing, was left waiting without one. Which of the two depends on when the read came
      // back, so only their sum is fixed.
      expect(delta.worked).toBe(2);
      expect(delta.shared + delta.quiet).toBe(3 + B_STREAMS - 2);
      // Loja 2's own price then reaches every one of its streams, as its first line, from its checkpoint.
      await insertPreco(rig, 2, 1, '7.7700');
      for (const answer of await Promise.all(ofB.map(async (streamed) => nextAnswer(await streamed)))) {
        expect(answer).toMatchObject({ changed: ['preco_loja'], pages: [{ page: { table: 'preco_loja', sinceVersion: since.preco_loja } }] });
        expect(answer!.pages![0]!.page.changes).toEqual([expect.objectContaining({ key: { loja_id: 2, produto_id: 1 } })]);
      }
    } finally {
      for (const streamed of await Promise.allSettled([...ofA, ...ofB])) if (streamed.status === 'fulfilled') streamed.value.lines?.close();
      await many.close();
    }
  });

  it('hand a round that named nothing on to PDVs whose checkpoints differ only by versions that hold nothing of their tables', async () => {
    const wait = async (since: string, token: string): Promise<ChangesWaitAnswer> => {
      const response = await rig.get(`/v1/changes/wait?tables=produto:${since}&wait=0&limit=100`, { headers: { 'sync-tokens': `produto=${token}` } });
      expect(response.status, response.text.slice(0, 300)).toBe(200);
      return changesWaitSchema.parse(response.json);
    };
    const older = { since: await settledCheckpoint(rig, 'produto'), token: rig.syncTokenOf('produto')! };
    // Another table moves, and the serving clock reads it: produto's checkpoints from now on are higher.
    const precoSince = await settledCheckpoint(rig, 'preco_loja');
    await insertPreco(rig, 1, 70, '9.9900');
    const names = async (): Promise<boolean> => changesWaitSchema.parse((await rig.get(`/v1/changes/wait?tables=preco_loja:${precoSince}&wait=0`)).json).changed.length > 0;
    await until(names, 'a wait to name the new price');
    const newer = { since: await settledCheckpoint(rig, 'produto'), token: rig.syncTokenOf('produto')! };
    expect(BigInt(newer.since)).toBeGreaterThan(BigInt(older.since));
    expect(await wait(older.since, older.token)).toMatchObject({ changed: [] });
    const before = rig.waitRounds();
    // Nothing of produto from either checkpoint: the round worked out for the older one is the newer one's too.
    expect(await wait(newer.since, newer.token)).toMatchObject({ changed: [] });
    const after = rig.waitRounds();
    expect({ worked: after.worked - before.worked, shared: after.shared - before.shared }).toEqual({ worked: 0, shared: 1 });
  });

  it('hand a round worked out in an earlier epoch on while none of its tables moved since', async () => {
    const since = { produto: await settledCheckpoint(rig, 'produto'), preco_loja: await settledCheckpoint(rig, 'preco_loja') };
    const wait = async (tables: string, headers: Record<string, string> = {}): Promise<ChangesWaitAnswer> => {
      const response = await rig.get(`/v1/changes/wait?tables=${tables}&wait=0&limit=100`, { headers });
      expect(response.status, response.text.slice(0, 300)).toBe(200);
      return changesWaitSchema.parse(response.json);
    };
    const products = () => wait(`produto:${since.produto}`, { 'sync-tokens': `produto=${rig.syncTokenOf('produto')!}` });
    await insertProdutos(rig, [60]);
    // Asked until the serving clock has read the product: that round is worked out, and kept.
    let first = await products();
    await until(async () => (first = await products()).changed.length > 0, 'a wait to name the new product');
    // Another table moves: a new epoch, in which nothing of produto changed.
    await insertPreco(rig, 1, 60, '8.8800');
    await until(async () => (await wait(`preco_loja:${since.preco_loja}`)).changed.length > 0, 'a wait to name the new price');
    const before = rig.waitRounds();
    const again = await products();
    const after = rig.waitRounds();
    // The same round as before the price, handed on rather than worked out again: the same page, which ends
    // where the epoch it was read in ended.
    expect({ worked: after.worked - before.worked, shared: after.shared - before.shared }).toEqual({ worked: 0, shared: 1 });
    expect(again.pages).toEqual(first.pages);
    expect(again.pages![0]!.page.changes.map((change) => change.key.produto_id)).toEqual([60]);
  });
});

/**
 * A change stream that asks for heartbeats: it may outlast a wait (CHANGES_STREAM_MAX_MS, not
 * CHANGES_MAX_WAIT_MS), its head goes out with the first heartbeat when no change came before, and a heartbeat
 * line fills each silence of that length.
 */
describeBackends('change stream with heartbeats', (backend) => {
  let rig: DeltasRig;
  let http: HttpClient;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { CHANGES_POLL_INTERVAL_MS: 100, CHANGES_MAX_WAIT_MS: 500, CHANGES_STREAM_MAX_MS: 3_500 });
    await insertProdutos(rig, [1]);
  });
  afterAll(async () => rig?.close());
  beforeEach(() => {
    http = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 10_000, rejectUnauthorized: true });
  });
  afterEach(() => http.close());

  const url = (since: string, extra: string) => `http://127.0.0.1:${rig.port}/v1/changes/stream?tables=produto:${since}&limit=100${extra}`;
  const headers = () => ({ authorization: `Bearer ${PDVS.a.token}`, 'sync-contract': '2', 'sync-tokens': `produto=${rig.syncTokenOf('produto')}` });

  it('sends its head with the first heartbeat, a heartbeat per silence, its lines, and runs past the wait bound', async () => {
    const since = await rig.checkpoint('produto');
    const started = Date.now();
    const response = await http.stream(url(since, '&wait=3000&heartbeat=1000'), headers());
    // No change yet: the head came with the first heartbeat, after about a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(response.status).toBe(200);
    expect(response.headers['stream-heartbeat']).toBe('1000');
    expect(response.headers['content-encoding']).toBe('gzip');
    const lines = response.lines!;
    expect(await lines.next()).toBe(STREAM_HEARTBEAT_LINE);
    await insertProdutos(rig, [50]);
    const answer = changesWaitSchema.parse(JSON.parse((await lines.next())!));
    expect(answer.pages![0]!.page.changes.map((change) => change.key.produto_id)).toEqual([50]);
    // Then heartbeats, a second apart, until its time (3 s, beyond CHANGES_MAX_WAIT_MS): a quiet line ends it.
    const rest: string[] = [];
    for (let line = await lines.next(); line !== null; line = await lines.next()) rest.push(line);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(rest.at(-1)).toMatch(/^\{"changed":\[\],"incarnation":/);
    const beats = rest.slice(0, -1);
    expect(beats.length).toBeGreaterThanOrEqual(1);
    expect(beats.every((line) => line === STREAM_HEARTBEAT_LINE)).toBe(true);
    expect(beats.length).toBeLessThanOrEqual(3);
  });

  it('stays within the wait bound without heartbeats, and refuses a heartbeat out of bounds with a 400', async () => {
    const since = await rig.checkpoint('produto');
    const started = Date.now();
    const plain = await http.stream(url(since, '&wait=3000'), headers());
    expect(plain.headers['stream-heartbeat']).toBeUndefined();
    expect(await plain.lines!.next()).toMatch(/^\{"changed":\[\],"incarnation":/);
    expect(await plain.lines!.next()).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const heartbeat of ['500', '60001', 'x']) {
      const bad = await http.stream(url(since, `&wait=3000&heartbeat=${heartbeat}`), headers());
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ field: 'heartbeat' });
    }
  });

  it('ends at once, with a quiet line naming the new incarnation, when the database is swapped while it runs or its tokens are of another', async () => {
    const since = await rig.checkpoint('produto');
    const token = rig.syncTokenOf('produto');
    const started = Date.now();
    const streamed = http.stream(url(since, '&wait=3000&heartbeat=1000'), headers());
    await until(() => rig.waiting() === 1, 'the stream to wait');
    await markRestore(rig, 'failed over while a stream ran');
    const response = await streamed;
    const line = changesWaitSchema.parse(JSON.parse((await response.lines!.next())!));
    expect(line.changed).toEqual([]);
    expect(await response.lines!.next()).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_500);
    // A stream opened afterwards with a token of the old database ends at once the same way.
    const again = await http.stream(url(since, '&wait=3000&heartbeat=1000'), { ...headers(), 'sync-tokens': `produto=${token}` });
    const quiet = changesWaitSchema.parse(JSON.parse((await again.lines!.next())!));
    expect(quiet).toEqual({ changed: [], incarnation: line.incarnation });
    expect(await again.lines!.next()).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
