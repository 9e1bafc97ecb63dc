import type { ChangesPage } from '@goldpdv/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PdvRateLimit } from '../src/limits/pdv-rate-limit.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { until } from './support/until.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';

/** The caps and the per-PDV rate limit, on real servers: beyond them a request gets 503 or 429 with Retry-After, at once. */
describeBackends('caps on long polls and snapshot pages', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { LONG_POLLS_MAX: 3, SNAPSHOTS_MAX_CONCURRENT: 1 });
  });
  afterAll(async () => rig?.close());

  it('answers the long poll beyond the cap 503 with Retry-After, and takes one again once a place is free', async () => {
    const since = await rig.checkpoint('produto');
    const held = Array.from({ length: 3 }, () => rig.get(`/v1/changes?table=produto&since=${since}&wait=5000`));
    await until(() => rig.waiting() === 3, 'three long polls to wait');
    const refused = await rig.get(`/v1/changes?table=produto&since=${since}&wait=1500`);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.json).toMatchObject({ type: 'urn:goldpdv:problem:unavailable' });
    // A read without `wait` is not a long poll: it is served while the cap is full.
    expect((await rig.get(`/v1/changes?table=produto&since=${since}`)).status).toBe(200);
    for (const response of await Promise.all(held)) expect((response.json as ChangesPage).changes).toEqual([]);
    expect((await rig.get(`/v1/changes?table=produto&since=${since}&wait=100`)).status).toBe(200);
  });

  // On PostgreSQL only: the lock that holds the first snapshot is taken on another pooled connection. PGlite has one
  // connection, so the lock would hold the token lookup of the second request too (which then never reaches the cap).
  it.skipIf(backend.name !== 'postgres')('answers a snapshot page beyond the cap 503 while another is being read', async () => {
    let first: Promise<{ status: number }> | undefined;
    await rig.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE produto IN ACCESS EXCLUSIVE MODE');
      first = rig.get('/v1/snapshot?table=produto&limit=1000');
      const blocked = async () =>
        Number((await rig.exec("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))[0]!.n) > 0;
      await until(blocked, 'the first snapshot page to wait for the lock');
      const refused = await rig.get('/v1/snapshot?table=produto&limit=1000');
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    });
    // The lock is gone with the transaction: the first page is read and served, and its place is free again.
    expect((await first!).status).toBe(200);
    expect((await rig.get('/v1/snapshot?table=produto&limit=1000')).status).toBe(200);
  });
});

describeBackends('per-PDV rate limit', (backend) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(backend, { PDV_RATE_LIMIT_PER_S: '2', PDV_RATE_LIMIT_BURST: '5' });
  });
  afterAll(async () => harness?.close());

  it('answers a PDV past its burst 429 with Retry-After, and leaves other PDVs alone', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await harness.request('/v1/tables', { headers: { authorization: `Bearer ${PDVS.a.token}` } })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toContain(429);
    const limited = await harness.request('/v1/tables', { headers: { authorization: `Bearer ${PDVS.a.token}` } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json).toMatchObject({ type: 'urn:goldpdv:problem:rate-limited', status: 429 });
    expect((await harness.request('/v1/tables', { headers: { authorization: `Bearer ${PDVS.b.token}` } })).status).toBe(200);
  });
});

describe('token bucket', () => {
  const limits: PdvRateLimit[] = [];
  afterEach(() => limits.splice(0));

  it('refills at its rate, forgets the least recently seen PDVs beyond its bound, and can be turned off', () => {
    const limit = new PdvRateLimit({ perSecond: 10, burst: 2, maxPdvs: 2 });
    limits.push(limit);
    expect(limit.take('a', 0).allowed).toBe(true);
    expect(limit.take('a', 0).allowed).toBe(true);
    expect(limit.take('a', 0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limit.take('a', 100).allowed).toBe(true);
    limit.take('b', 100);
    limit.take('c', 100);
    // 'a' was forgotten: it starts again with a full bucket.
    expect(limit.take('a', 100).allowed).toBe(true);
    expect(limit.refused).toBe(1);
    const off = new PdvRateLimit({ perSecond: 0, burst: 1 });
    for (let i = 0; i < 100; i++) expect(off.take('a').allowed).toBe(true);
  });
});
