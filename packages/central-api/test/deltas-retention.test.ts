import { RESET_REQUIRED_TYPE, resetRequiredSchema } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { cleanupChangeLog } from '../src/deltas/index.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertProdutos } from './deltas-fixtures.js';

const minValid = async (rig: DeltasRig, table: string): Promise<string> =>
  String((await rig.exec('SELECT min_valid_version::text AS v FROM sync_change_tracking WHERE table_name = $1', [table]))[0]!.v);

const lastLogged = async (rig: DeltasRig, table: string): Promise<bigint> =>
  BigInt(String((await rig.exec('SELECT max(txid::text::bigint)::text AS v FROM sync_change_log WHERE table_name = $1', [table]))[0]!.v));

// The change log and its retention are the PostgreSQL stand-in for Change Tracking; SQL Server cleans up itself.
describeBackends(
  'change-log retention and reset required',
  (backend) => {
    let rig: DeltasRig;
    beforeAll(async () => {
      rig = await startDeltasRig(backend);
    });
    afterAll(async () => rig?.close());

    it('keeps what the retention setting still covers', async () => {
      await insertProdutos(rig, [1]);
      expect(await cleanupChangeLog(rig.db)).toEqual({ deleted: 0, batches: 1 });
      expect(await cleanupChangeLog(rig.db, { cutoff: new Date(Date.now() - 3_600_000) })).toMatchObject({ deleted: 0 });
      expect(await minValid(rig, 'produto')).toBe('0');
    });

    it('raises the minimum valid version past what it deleted: 410 below it, 200 from it on', async () => {
      const since = await rig.checkpoint('produto');
      const operadorSince = await rig.checkpoint('operador');
      await insertProdutos(rig, [2, 3, 4]);
      const highest = await lastLogged(rig, 'produto');

      const result = await cleanupChangeLog(rig.db, { cutoff: new Date(Date.now() + 60_000), batchSize: 2 });
      expect(result.deleted).toBeGreaterThanOrEqual(4);
      expect(result.batches).toBeGreaterThanOrEqual(2);
      expect(await minValid(rig, 'produto')).toBe((highest + 1n).toString());
      // A table that lost no entry keeps its minimum, and its clients their checkpoints.
      expect(await minValid(rig, 'operador')).toBe('0');
      expect((await rig.get(`/v1/changes?table=operador&since=${operadorSince}`)).status).toBe(200);

      const gone = await rig.get(`/v1/changes?table=produto&since=${since}`);
      expect(gone.status).toBe(410);
      expect(gone.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = resetRequiredSchema.parse(gone.json);
      expect(body).toMatchObject({ type: RESET_REQUIRED_TYPE, status: 410, table: 'produto', minValidVersion: (highest + 1n).toString(), sinceVersion: since });

      // Long polls are refused at once too, not after their wait.
      const started = Date.now();
      expect((await rig.get(`/v1/changes?table=produto&since=${since}&wait=5000`)).status).toBe(410);
      expect(Date.now() - started).toBeLessThan(2_000);

      expect((await rig.get(`/v1/changes?table=produto&since=${body.minValidVersion}`)).status).toBe(200);
      // A client re-initialised from a snapshot resumes without a second reset.
      const snapshotVersion = await rig.checkpoint('produto');
      expect(BigInt(snapshotVersion)).toBeGreaterThanOrEqual(BigInt(body.minValidVersion));
      expect((await rig.get(`/v1/changes?table=produto&since=${snapshotVersion}`)).status).toBe(200);
    });

    it('sends a snapshot in progress back to the start when retention passes its version', async () => {
      const first = (await rig.get('/v1/snapshot?table=produto&limit=1')).json as { nextCursor: string; snapshotVersion: string };
      await insertProdutos(rig, [5]);
      await cleanupChangeLog(rig.db, { cutoff: new Date(Date.now() + 60_000) });
      const next = await rig.get(`/v1/snapshot?table=produto&limit=1&cursor=${first.nextCursor}`);
      expect(next.status).toBe(410);
      expect(resetRequiredSchema.parse(next.json)).toMatchObject({ table: 'produto', sinceVersion: first.snapshotVersion });
    });
  },
  ['pglite', 'postgres'],
);

describeBackends(
  'change-log retention runs on its own (CHANGE_RETENTION_CLEANUP_INTERVAL_MS)',
  (backend) => {
    let rig: DeltasRig;
    beforeAll(async () => {
      rig = await startDeltasRig(backend, { CHANGE_RETENTION_CLEANUP_INTERVAL_MS: 200 });
    });
    afterAll(async () => rig?.close());

    it('deletes entries older than change_retention_days and moves the minimum valid version', async () => {
      await insertProdutos(rig, [1, 2]);
      const highest = await lastLogged(rig, 'produto');
      await rig.exec(`UPDATE sync_settings SET value = '0' WHERE name = 'change_retention_days'`);
      const deadline = Date.now() + 10_000;
      while ((await minValid(rig, 'produto')) === '0' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(BigInt(await minValid(rig, 'produto'))).toBe(highest + 1n);
      expect(rig.logs().some((line) => line.msg === 'change-log retention deleted old entries')).toBe(true);
    });
  },
  ['pglite', 'postgres'],
);
