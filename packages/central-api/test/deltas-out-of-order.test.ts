import { createPostgresDatabase, type Change } from '@goldpdv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';

const INSERT_PRODUTO = `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
                       VALUES ($1, '7890000000000', $2, 1, 'UN', '1.0000', '2026-01-01T00:00:00', '2026-01-01T00:00:00+00:00')`;

/** A transaction that writes now and commits when told to. */
function openTransaction(rig: DeltasRig, produtoId: number): { txid: Promise<bigint>; commit(): Promise<void> } {
  let release!: () => void;
  let wrote!: (txid: bigint) => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const txid = new Promise<bigint>((resolve) => (wrote = resolve));
  const done = rig.db.transaction(async (tx) => {
    await tx.query(INSERT_PRODUTO, [produtoId, `Produto ${produtoId}`]);
    const row = (await tx.query<{ txid: string }>('SELECT pg_current_xact_id()::text AS txid')).rows[0]!;
    wrote(BigInt(row.txid));
    await gate;
  });
  return {
    txid,
    async commit() {
      release();
      await done;
    },
  };
}

const ids = (changes: readonly Change[]) => changes.map((c) => Number(c.key.produto_id));

/**
 * The bound is the cluster-wide xmin: a transaction open in any database of the server (another test file,
 * say) holds it back. Delivery may then come later, never skipped: drain until `expected` arrived, or give up.
 */
async function drainUntil(rig: DeltasRig, since: string, expected: number, timeoutMs = 20_000): Promise<{ received: number[]; toVersion: string }> {
  const received: number[] = [];
  let checkpoint = since;
  const deadline = Date.now() + timeoutMs;
  while (received.length < expected && Date.now() < deadline) {
    const { changes, toVersion } = await rig.drainChanges('produto', checkpoint, { limit: 2 });
    received.push(...ids(changes));
    checkpoint = toVersion;
    if (received.length < expected) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { received, toVersion: checkpoint };
}

// PGlite runs one connection: a second transaction cannot commit while the first is open.
describe('out-of-order commits [pglite]', () => {
  it.skip('needs two concurrent connections, which PGlite does not have (runs on a PostgreSQL server with TEST_PG_URL)', () => {});
});

describeBackends(
  'out-of-order commits never skip a change',
  (backend) => {
    let rig: DeltasRig;
    beforeAll(async () => {
      rig = await startDeltasRig(backend);
    });
    afterAll(async () => rig?.close());

    it('holds the window below an open transaction, then serves both once it commits', async () => {
      const since = await rig.checkpoint('produto');
      const a = openTransaction(rig, 1);
      const aTxid = await a.txid;
      await rig.exec(INSERT_PRODUTO, [2, 'Produto 2']);
      const bTxid = BigInt((await rig.exec(`SELECT txid::text AS txid FROM sync_change_log WHERE table_name = 'produto' AND pk = '{"produto_id": 2}'`))[0]!.txid as string);
      expect(aTxid).toBeLessThan(bTxid);

      const first = await rig.drainChanges('produto', since);
      // B committed, but a version above A's id is not settled while A is open: neither is served yet.
      expect(ids(first.changes)).toEqual([]);
      expect(BigInt(first.toVersion)).toBeLessThanOrEqual(aTxid);

      await a.commit();
      const second = await drainUntil(rig, first.toVersion, 2);
      expect(second.received.sort()).toEqual([1, 2]);
      expect(BigInt(second.toVersion)).toBeGreaterThan(bTxid);
    });

    it('a client polling while transactions commit in random order receives every change exactly once', async () => {
      let checkpoint = await rig.checkpoint('produto');
      const received: number[] = [];
      const written: number[] = [];
      // Four open at a time: the test pool has five connections, and the API's reads need one.
      const orders = [[3, 1, 0, 2], [1, 3, 2, 0], [2, 0, 3, 1]];
      for (const [round, order] of orders.entries()) {
        const pending = order.map((_, i) => openTransaction(rig, 100 + round * 10 + i));
        await Promise.all(pending.map((t) => t.txid));
        written.push(...pending.map((_, i) => 100 + round * 10 + i));
        for (const index of order) {
          await pending[index]!.commit();
          const { changes, toVersion } = await rig.drainChanges('produto', checkpoint, { limit: 2 });
          received.push(...ids(changes));
          checkpoint = toVersion;
        }
      }
      const last = await drainUntil(rig, checkpoint, written.length - received.length);
      received.push(...last.received);
      expect([...received].sort((x, y) => x - y)).toEqual(written.sort((x, y) => x - y));
    });

    it('is not held back by a transaction open in another database of the same server, only by one in its own', async () => {
      const other = createPostgresDatabase({ kind: 'postgres', connectionString: process.env.TEST_PG_URL!, poolMax: 1, connectTimeoutMs: 10_000, requestTimeoutMs: 60_000 });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const open = new Promise<void>((resolve) => (started = resolve));
      const foreign = other.transaction(async (tx) => {
        await tx.query('SELECT pg_current_xact_id()');
        started();
        await gate;
      });
      try {
        await open;
        const since = await rig.checkpoint('produto');
        await rig.exec(INSERT_PRODUTO, [50, 'Produto 50']);
        expect(ids((await rig.drainChanges('produto', since)).changes)).toEqual([50]);

        // The same kind of idle transaction in this database does hold the bound back.
        const local = openTransaction(rig, 51);
        await local.txid;
        const before = await rig.checkpoint('produto');
        await rig.exec(INSERT_PRODUTO, [52, 'Produto 52']);
        expect(ids((await rig.drainChanges('produto', before)).changes)).toEqual([]);
        await local.commit();
        expect((await drainUntil(rig, before, 2)).received.sort()).toEqual([51, 52]);
      } finally {
        release();
        await foreign;
        await other.close();
      }
    });
  },
  ['postgres'],
);
