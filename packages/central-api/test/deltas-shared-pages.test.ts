import { constants, deflateRawSync } from 'node:zlib';
import type { ChangesPage, ChangesWaitAnswer } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS } from './support/central-harness.js';
import { until } from './support/until.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertPreco, insertProdutos, insertProdutosTogether } from './deltas-fixtures.js';

/**
 * Fleet scale on a real database: a change wakes only the long polls of its table, and the window every woken
 * request then reads is read once and cut per PDV, each PDV still seeing only what its loja and its Sync-Token
 * allow. Several requests with one bearer token stand for several PDVs of a loja: the server shares pages by
 * window and loja, not by caller.
 */
describeBackends('shared pages and wake-ups by table', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { CHANGES_POLL_INTERVAL_MS: 100 });
    await insertProdutos(rig, [1, 2]);
  });
  afterAll(async () => rig?.close());

  const pageOf = (response: { status: number; json: unknown; text: string }): ChangesPage => {
    expect(response.status, response.text.slice(0, 300)).toBe(200);
    return response.json as ChangesPage;
  };

  it("wakes only the waiters of the table that changed; the others go on waiting, with no read of their own", async () => {
    const produtoSince = await rig.checkpoint('produto');
    const lojaSince = await rig.checkpoint('loja');
    const lojaWaits = Array.from({ length: 5 }, () => rig.get(`/v1/changes?table=loja&since=${lojaSince}&wait=6000`));
    const produtoWaits = Array.from({ length: 5 }, () => rig.get(`/v1/changes?table=produto&since=${produtoSince}&wait=20000`));
    await until(() => rig.waiting() === 10, 'ten requests to wait');
    const before = rig.sharedPages();
    await insertProdutos(rig, [3]);
    const woken = (await Promise.all(produtoWaits)).map(pageOf);
    for (const page of woken) expect(page.changes.map((c) => c.key.produto_id)).toEqual([3]);
    // Five produto waiters, one read of their window; the loja waiters read nothing and are still waiting.
    const after = rig.sharedPages();
    expect(after.reads - before.reads).toBe(1);
    expect(after.hits - before.hits).toBe(4);
    expect(rig.waiting()).toBe(5);
    const quiet = (await Promise.all(lojaWaits)).map(pageOf);
    for (const page of quiet) {
      expect(page.changes).toEqual([]);
      // The wait moved them up past the produto change, which they were never sent.
      expect(BigInt(page.toVersion)).toBeGreaterThan(BigInt(lojaSince));
    }
  });

  it("reads a per-loja table's window once for every loja, and sends each PDV its loja's rows only", async () => {
    const sinceA = await rig.checkpoint('preco_loja', PDVS.a.token);
    const sinceB = await rig.checkpoint('preco_loja', PDVS.b.token);
    const lojaA = Array.from({ length: 4 }, () => rig.get(`/v1/changes?table=preco_loja&since=${sinceA}&wait=20000`, { token: PDVS.a.token }));
    const lojaB = Array.from({ length: 4 }, () => rig.get(`/v1/changes?table=preco_loja&since=${sinceB}&wait=6000`, { token: PDVS.b.token }));
    await until(() => rig.waiting() === 8, 'eight requests to wait');
    const before = rig.sharedPages();
    await insertPreco(rig, 1, 1, '7.2500');
    for (const page of (await Promise.all(lojaA)).map(pageOf)) {
      expect(page.changes).toEqual([expect.objectContaining({ op: 'upsert', key: { loja_id: 1, produto_id: 1 } })]);
      expect(page.sinceVersion).toBe(sinceA);
    }
    const readsForTheChange = rig.sharedPages().reads - before.reads;
    // One read for both lojas: the loja-2 waiters woke, found nothing of theirs in it, and went back to waiting.
    expect(readsForTheChange).toBe(1);
    expect(rig.waiting()).toBe(4);
    for (const page of (await Promise.all(lojaB)).map(pageOf)) expect(page.changes).toEqual([]);
    // The loja-2 PDV's own drain of the same window holds no loja-1 row either.
    const drained = await rig.drainChanges('preco_loja', sinceB, { token: PDVS.b.token });
    expect(drained.changes).toEqual([]);
  });

  it('still checks every Sync-Token against a page read for another PDV', async () => {
    const since = await rig.checkpoint('produto');
    const good = rig.get(`/v1/changes?table=produto&since=${since}&wait=20000`);
    await until(() => rig.waiting() === 1, 'one request to wait');
    await insertProdutos(rig, [4]);
    expect(pageOf(await good).changes.map((c) => c.key.produto_id)).toEqual([4]);
    // The same window again, now kept in memory: without a token, and with another table's token, it is refused.
    const none = await rig.get(`/v1/changes?table=produto&since=${since}`, { syncToken: null });
    expect(none.status).toBe(410);
    expect(none.json).toMatchObject({ table: 'produto', reason: 'initial-data' });
    await rig.checkpoint('loja');
    const otherTable = await rig.get(`/v1/changes?table=produto&since=${since}`, { syncToken: rig.syncTokenOf('loja') });
    expect(otherTable.status).toBe(410);
    // And a PDV of another loja with its own token is served the unfiltered table in full.
    const sinceB = await rig.checkpoint('produto', PDVS.b.token);
    expect(pageOf(await rig.get(`/v1/changes?table=produto&since=${sinceB}`, { token: PDVS.b.token })).changes).toEqual([]);
  });

  it("reads a table's next change once for PDVs that last read it in different epochs", async () => {
    // Two PDVs caught up on produto, one before and one after a price change moved every window's upper version:
    // their checkpoints differ, though nothing of produto lies between them.
    const early = pageOf(await rig.get(`/v1/changes?table=produto&since=${await rig.checkpoint('produto')}`)).toVersion;
    await insertPreco(rig, 1, 2, '3.3300');
    let late = early;
    await until(async () => {
      late = pageOf(await rig.get(`/v1/changes?table=produto&since=${early}`)).toVersion;
      return BigInt(late) > BigInt(early);
    }, 'the price change to move the upper version');
    // Their rounds after the next produto change (a wait would not tell: it moves every waiter to one level).
    const before = rig.sharedPages();
    await insertProdutos(rig, [5]);
    await until(async () => pageOf(await rig.get(`/v1/changes?table=produto&since=${late}`)).changes.length > 0, 'the change served');
    for (const since of [early, late, early]) expect(pageOf(await rig.get(`/v1/changes?table=produto&since=${since}`)).changes.map((c) => c.key.produto_id)).toEqual([5]);
    // One window for both checkpoints: it starts where produto's quiet span began.
    expect(rig.sharedPages().reads - before.reads).toBe(1);
  });

  it("serves a page read before another table's change after it too, up to the newer upper version, with no read", async () => {
    const since = pageOf(await rig.get(`/v1/changes?table=produto&since=${await rig.checkpoint('produto')}`)).toVersion;
    await insertProdutos(rig, [6]);
    let first: ChangesPage | undefined;
    await until(async () => (first = pageOf(await rig.get(`/v1/changes?table=produto&since=${since}`))).changes.length > 0, 'the change served');
    const before = rig.sharedPages();
    await insertPreco(rig, 2, 1, '4.4400');
    let later = first!;
    await until(async () => BigInt((later = pageOf(await rig.get(`/v1/changes?table=produto&since=${since}`))).toVersion) > BigInt(first!.toVersion), 'the price change to move the upper version');
    expect(later.changes).toEqual(first!.changes);
    expect(rig.sharedPages().reads - before.reads).toBe(0);
  });

  it("serves a window's later page, read again after the table changed, up to the window's own end only", async () => {
    const since = pageOf(await rig.get(`/v1/changes?table=produto&since=${await rig.checkpoint('produto')}`)).toVersion;
    await insertProdutosTogether(rig, [31, 32, 33]);
    let first: ChangesPage | undefined;
    await until(async () => (first = pageOf(await rig.get(`/v1/changes?table=produto&since=${since}&limit=2`))).hasMore, 'the window of three changes');
    const later = `/v1/changes?table=produto&since=${since}&limit=2&cursor=${encodeURIComponent(first!.nextCursor!)}`;
    const second = pageOf(await rig.get(later));
    expect(second).toMatchObject({ toVersion: first!.toVersion, hasMore: false });
    expect(second.changes.map((c) => c.key.produto_id)).toEqual([33]);
    // produto changes again: a new epoch. The window's second page, asked for again (a retry, another PDV), still
    // ends where its window does; moved up to the new epoch, it would pass over product 34.
    await insertProdutos(rig, [34]);
    await until(async () => pageOf(await rig.get(`/v1/changes?table=produto&since=${first!.toVersion}`)).changes.length > 0, 'the change served');
    const again = pageOf(await rig.get(later));
    expect(again).toMatchObject({ toVersion: first!.toVersion, hasMore: false });
    expect(again.changes.map((c) => c.key.produto_id)).toEqual([33]);
    expect(pageOf(await rig.get(`/v1/changes?table=produto&since=${again.toVersion}`)).changes.map((c) => c.key.produto_id)).toEqual([34]);
  });

  it('answers a window the clock knows to be quiet without reading it', async () => {
    const since = await rig.checkpoint('categoria');
    const first = pageOf(await rig.get(`/v1/changes?table=categoria&since=${since}`));
    const before = rig.sharedPages();
    const again = pageOf(await rig.get(`/v1/changes?table=categoria&since=${first.toVersion}`));
    expect(again.changes).toEqual([]);
    const after = rig.sharedPages();
    expect(after.reads - before.reads).toBe(0);
    expect(after.quiet - before.quiet).toBe(1);
  });

  it("waits on several tables with one request: another loja's price does not end it, a product change does", async () => {
    const since = { produto: await rig.checkpoint('produto'), loja: await rig.checkpoint('loja'), preco_loja: await rig.checkpoint('preco_loja') };
    const tables = Object.entries(since).map(([table, version]) => `${table}:${version}`).join(',');
    const pending = rig.get(`/v1/changes/wait?tables=${tables}&wait=20000`);
    await until(() => rig.waiting() === 1, 'the wait to begin');
    await insertPreco(rig, 2, 2, '1.0000');
    // The loja-2 price wakes the request, which finds nothing of loja 1's and waits on, still one request.
    await until(() => rig.sharedPages().reads > 0 && rig.waiting() === 1, 'the request to wait on after the loja-2 price');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(rig.waiting()).toBe(1);
    const before = rig.sharedPages();
    await insertProdutos(rig, [20]);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ changed: ['produto'], incarnation: expect.any(String) });
    // The PDVs' pages of that window, from their checkpoints: read once for all of them and the wait, which
    // read the window from where produto's quiet span began, as the pages do.
    const pages = await Promise.all(Array.from({ length: 3 }, () => rig.get(`/v1/changes?table=produto&since=${since.produto}`)));
    for (const page of pages.map(pageOf)) expect(page.changes.map((c) => c.key.produto_id)).toEqual([20]);
    expect(rig.sharedPages().reads - before.reads).toBe(1);
  });

  it("carries the changed table's first page in the wait's answer, as its Sync-Token admits it, with no read of its own", async () => {
    const since = { produto: await rig.checkpoint('produto'), preco_loja: await rig.checkpoint('preco_loja') };
    const tables = Object.entries(since).map(([table, version]) => `${table}:${version}`).join(',');
    const tokens = `produto=${rig.syncTokenOf('produto')}, preco_loja=${rig.syncTokenOf('preco_loja')}`;
    const waits = Array.from({ length: 3 }, () => rig.get(`/v1/changes/wait?tables=${tables}&wait=20000&limit=100`, { headers: { 'sync-tokens': tokens } }));
    // A PDV of loja 2 whose produto token is another table's: produto is only named for it.
    const forged = rig.get(`/v1/changes/wait?tables=produto:${since.produto}&wait=20000&limit=100`, {
      token: PDVS.b.token,
      headers: { 'sync-tokens': `produto=${rig.syncTokenOf('preco_loja')}` },
    });
    await until(() => rig.waiting() === 4, 'four waits');
    const before = rig.sharedPages();
    await insertProdutos(rig, [21]);
    for (const response of await Promise.all(waits)) {
      expect(response.status).toBe(200);
      const answer = response.json as ChangesWaitAnswer;
      expect(answer.changed).toEqual(['produto']);
      expect(answer.pages).toHaveLength(1);
      const [carried] = answer.pages!;
      expect(carried!.page).toMatchObject({ table: 'produto', sinceVersion: since.produto, hasMore: false });
      expect(carried!.page.changes.map((c) => c.key.produto_id)).toEqual([21]);
      expect(carried!.syncToken).toEqual(expect.any(String));
      expect(carried!.incarnation).toBe(answer.incarnation);
      // The page is the one GET /v1/changes answers from the same checkpoint.
      expect(pageOf(await rig.get(`/v1/changes?table=produto&since=${since.produto}&limit=100`)).changes).toEqual(carried!.page.changes);
    }
    expect(await forged.then((response) => response.json)).toEqual({ changed: ['produto'], incarnation: expect.any(String), pages: [] });
    // The waits' own reads and the carried pages: the window read once.
    expect(rig.sharedPages().reads - before.reads).toBe(1);

    // A header that names a table the wait does not, or a token twice, is a 400 naming it.
    for (const header of [`loja=${rig.syncTokenOf('produto')}`, `produto=a, produto=b`, 'produto']) {
      const refused = await rig.get(`/v1/changes/wait?tables=${tables}&wait=0&limit=100`, { headers: { 'sync-tokens': header } });
      expect(refused.status).toBe(400);
      expect((refused.json as { field?: string }).field).toBe('Sync-Tokens');
    }
  });

  it('compresses a carried page once for every PDV that accepts gzip, and answers each the text it would get without', async () => {
    const since = await rig.checkpoint('produto', PDVS.a.token);
    const sinceB = await rig.checkpoint('produto', PDVS.b.token);
    const tokenA = rig.syncTokenOf('produto', PDVS.a.token)!;
    const tokenB = rig.syncTokenOf('produto', PDVS.b.token)!;
    const wait = (token: string, from: string, syncToken: string, encoding: string) =>
      rig.get(`/v1/changes/wait?tables=produto:${from}&wait=20000&limit=100`, { token, headers: { 'sync-tokens': `produto=${syncToken}`, 'accept-encoding': encoding } });
    const waits = [wait(PDVS.a.token, since, tokenA, 'gzip'), wait(PDVS.b.token, sinceB, tokenB, 'gzip'), wait(PDVS.a.token, since, tokenA, 'identity')];
    await until(() => rig.waiting() === 3, 'three waits');
    // Enough rows for an answer past the 1 KiB below which nothing is compressed, in one commit, so that the
    // woken waits carry all of them.
    await insertProdutosTogether(rig, Array.from({ length: 30 }, (_, i) => 300 + i));
    const [gzipA, gzipB, plainA] = await Promise.all(waits);
    for (const response of [gzipA!, gzipB!]) {
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding']).toBe('gzip');
    }
    expect(plainA!.headers['content-encoding']).toBeUndefined();
    // The same PDV gets the same text, compressed or not; another PDV's differs only by its own Sync-Token.
    expect(gzipA!.text).toBe(plainA!.text);
    const carried = (gzipB!.json as ChangesWaitAnswer).pages![0]!;
    expect(carried.page.changes.map((c) => c.key.produto_id)).toEqual(Array.from({ length: 30 }, (_, i) => 300 + i));
    expect(gzipB!.text).toBe(gzipA!.text.replace(tokenA, carried.syncToken).replace(`"sinceVersion":"${since}"`, `"sinceVersion":"${sinceB}"`));
    // Both carry the very deflate blocks of the page's changes, made once: the rows were not compressed per PDV.
    const changes = JSON.stringify(carried.page.changes);
    const blocks = deflateRawSync(changes, { level: 6, finishFlush: constants.Z_SYNC_FLUSH });
    expect(gzipA!.raw.includes(blocks) && gzipB!.raw.includes(blocks)).toBe(true);
    expect(gzipA!.raw.length).toBeLessThan(Buffer.byteLength(gzipA!.text) / 2);
  });

  it('answers a wait at once for a table to be loaded again, and refuses malformed tables with 400', async () => {
    const answer = await rig.get('/v1/changes/wait?tables=produto:0,nao_existe:5&wait=20000');
    expect(answer.status).toBe(200);
    expect((answer.json as { changed: string[] }).changed.sort()).toEqual(['nao_existe', 'produto']);
    for (const bad of ['produto', 'produto:x', 'Produto:1', 'produto:1,produto:2', '']) {
      const refused = await rig.get(`/v1/changes/wait?tables=${encodeURIComponent(bad)}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.json).toMatchObject({ field: 'tables' });
    }
  });
});

