import { resetRequiredSchema, snapshotPageSchema, type ChangesPage } from '@goldpdv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { incarnationOf } from '../src/deltas/db/incarnation.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertProdutos, markRestore } from './deltas-fixtures.js';

/**
 * A central database that went back in time (restored from a backup, failed over to a replica that had not
 * received everything) must not keep serving PDVs that were built from the one before: their checkpoints are
 * versions it may reuse for other changes, and their rows may hold writes it lost.
 */
describeBackends('a restored or failed-over central database', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend);
    await insertProdutos(rig, [1, 2, 3]);
  });
  afterAll(async () => rig?.close());

  it('answers 410 (restored) to a checkpoint above its current version, instead of empty pages', async () => {
    const since = await rig.checkpoint('produto');
    const first = (await rig.get(`/v1/changes?table=produto&since=${since}`)).json as ChangesPage;
    // What a PDV would hold after the database it pulled from was replaced by an older copy of itself.
    const ahead = (BigInt(first.toVersion) + 1_000n).toString();
    const refused = await rig.get(`/v1/changes?table=produto&since=${ahead}`);
    expect(refused.status).toBe(410);
    expect(resetRequiredSchema.parse(refused.json)).toMatchObject({ table: 'produto', sinceVersion: ahead });
    expect(refused.json).toMatchObject({ reason: 'restored', detail: expect.stringContaining('restored or failed over') });
    // Its own checkpoint is still served.
    expect((await rig.get(`/v1/changes?table=produto&since=${first.toVersion}`)).status).toBe(200);
  });

  it('sends every page with its incarnation, refuses tokens and snapshot cursors of another one, and serves the new one', async () => {
    const since = await rig.checkpoint('produto');
    const before = await rig.get(`/v1/changes?table=produto&since=${since}`);
    const incarnation = String(before.headers['sync-incarnation']);
    expect(incarnation).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const unfinished = await rig.get('/v1/snapshot?table=produto&limit=1');
    expect(unfinished.headers['sync-incarnation']).toBe(incarnation);
    const cursor = snapshotPageSchema.parse(unfinished.json).nextCursor!;

    await markRestore(rig, 'restored from the backup of last night');

    const changes = await rig.get(`/v1/changes?table=produto&since=${since}`);
    expect(changes.status).toBe(410);
    expect(changes.json).toMatchObject({ table: 'produto', reason: 'incarnation' });
    const snapshot = await rig.get(`/v1/snapshot?table=produto&limit=1&cursor=${cursor}`);
    expect(snapshot.status).toBe(410);
    expect(snapshot.json).toMatchObject({ table: 'produto', reason: 'incarnation' });
    // A snapshot of the new incarnation hands a token that deltas accept again.
    const again = await rig.checkpoint('produto');
    const after = await rig.get(`/v1/changes?table=produto&since=${again}`);
    expect(after.status).toBe(200);
    expect(after.headers['sync-incarnation']).not.toBe(incarnation);
    // The same on every request: nothing about it is kept per replica.
    expect((await rig.get(`/v1/snapshot?table=produto`)).headers['sync-incarnation']).toBe(after.headers['sync-incarnation']);
  });
});

describe('incarnations', () => {
  it('change with any of their parts, and only then', () => {
    const parts = ['c6f1c7b2-8b0e-4b8e-9f7a-1d2e3f4a5b6c', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '7f0d9e1a-2b3c-4d5e-8f90-1a2b3c4d5e6f'];
    const base = incarnationOf('mssql', parts);
    expect(incarnationOf('mssql', [...parts])).toBe(base);
    expect(incarnationOf('mssql', parts.map((part) => part.toUpperCase()))).toBe(base);
    for (let i = 0; i < parts.length; i++) {
      const changed = [...parts];
      changed[i] = '00000000-0000-0000-0000-000000000000';
      expect(incarnationOf('mssql', changed)).not.toBe(base);
      const missing: (string | null)[] = [...parts];
      missing[i] = null;
      expect(incarnationOf('mssql', missing)).not.toBe(base);
    }
    expect(incarnationOf('postgres', parts)).not.toBe(base);
    expect(base).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
