import { request as httpRequest } from 'node:http';
import type { ChangesPage } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS } from './support/central-harness.js';
import { until } from './support/until.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertPreco, insertProdutos } from './deltas-fixtures.js';

/**
 * Each test waits for what it can see (the request is waiting in the long-poll hub, the server logged the answer)
 * instead of sleeping for a while and hoping the server got there first.
 */
describeBackends('long poll: GET /v1/changes with wait', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { CHANGES_POLL_INTERVAL_MS: 150 });
    await insertProdutos(rig, [1]);
  });
  afterAll(async () => rig?.close());

  const waitingRequest = () => until(() => rig.waiting() === 1, 'the request to wait for a change');

  it('answers a waiting request well under a second after a change commits', async () => {
    const since = await rig.checkpoint('produto');
    const pending = rig.get(`/v1/changes?table=produto&since=${since}&wait=20000`);
    await waitingRequest();
    await insertProdutos(rig, [2]);
    const committed = Date.now();
    const response = await pending;
    const latency = Date.now() - committed;
    expect(response.status).toBe(200);
    // Written only after the request was waiting: the answer came from the wait, not from its first read.
    expect((response.json as ChangesPage).changes.map((c) => c.key.produto_id)).toEqual([2]);
    expect(latency).toBeLessThan(1_500);
    expect(rig.waiting()).toBe(0);
  });

  it('answers an empty page when nothing happens within the wait, without moving the checkpoint back', async () => {
    const since = await rig.checkpoint('produto');
    const started = Date.now();
    const response = await rig.get(`/v1/changes?table=produto&since=${since}&wait=800`);
    const elapsed = Date.now() - started;
    expect(response.status).toBe(200);
    const page = response.json as ChangesPage;
    expect(page).toMatchObject({ changes: [], hasMore: false, nextCursor: null, sinceVersion: since });
    expect(BigInt(page.toVersion)).toBeGreaterThanOrEqual(BigInt(since));
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(5_000);
  });

  it("keeps waiting through another loja's changes, which it must not receive", async () => {
    const since = await rig.checkpoint('preco_loja');
    await rig.checkpoint('preco_loja', PDVS.b.token);
    const started = Date.now();
    const pending = rig.get(`/v1/changes?table=preco_loja&since=${since}&wait=1500`, { token: PDVS.a.token });
    await waitingRequest();
    await insertPreco(rig, 2, 1, '9.9900');
    const response = await pending;
    expect((response.json as ChangesPage).changes).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    // The PDV of loja 2 gets it at once.
    const other = await rig.get(`/v1/changes?table=preco_loja&since=${since}&wait=1500`, { token: PDVS.b.token });
    expect((other.json as ChangesPage).changes.map((c) => c.key)).toEqual([{ loja_id: 2, produto_id: 1 }]);
  });

  it('stops waiting when the client goes away', async () => {
    const since = await rig.checkpoint('produto');
    const path = `/v1/changes?table=produto&since=${since}&wait=20000`;
    const requestId = `disconnect-${Date.now()}`;
    const headers = { authorization: `Bearer ${PDVS.a.token}`, 'x-request-id': requestId, 'sync-token': rig.syncTokenOf('produto')! };
    const req = httpRequest({ host: '127.0.0.1', port: rig.port, path, headers, agent: false });
    req.on('error', () => {});
    req.end();
    await waitingRequest();
    const gone = Date.now();
    req.destroy();
    // The server logs every request when it is done with it; a wait released at once logs well before 20 s.
    const finished = () => rig.logs().some((line) => line.requestId === requestId && line.path === '/v1/changes' && line.msg === 'request answered');
    await until(finished, 'the abandoned request to end', 3_000);
    expect(Date.now() - gone).toBeLessThan(1_500);
    expect(rig.waiting()).toBe(0);
  });

  it('releases waiting requests when the server stops, so the drain does not wait for them', async () => {
    const since = await rig.checkpoint('produto');
    const pending = rig.get(`/v1/changes?table=produto&since=${since}&wait=20000`);
    await waitingRequest();
    const stopping = Date.now();
    const closed = rig.close();
    const response = await pending;
    expect(response.status).toBe(200);
    expect((response.json as ChangesPage).changes).toEqual([]);
    expect(Date.now() - stopping).toBeLessThan(1_000);
    await closed;
  });
});
