import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { DAEMON_ENTRY, spawnDaemon, waitFor, type SpawnedDaemon } from '../../packages/core/test/support/spawn-daemon.js';
import { dumpTable, expectSameCatalog, insertCatalog } from './support/catalog-data.js';
import { PDV, startCentral, type CentralRig } from './support/central-rig.js';
import { countRows, createPdvDatabase, readCheckpoints } from './support/pull-fixtures.js';

const PRODUTOS = 3_000;

/**
 * The built daemon as a real child process, killed with SIGKILL in the middle of a snapshot. The
 * local database must be a server both the child and the test can use, hence PostgreSQL only.
 */
describeBackends(
  'pull-service process killed during a snapshot',
  (backend) => {
    let central: CentralRig;
    let local: TestDatabase;
    const children: SpawnedDaemon[] = [];

    beforeEach(async () => {
      central = await startCentral(backend);
      local = await createPdvDatabase(backend);
    });
    afterEach(async () => {
      for (const child of children.splice(0)) {
        child.child.kill('SIGKILL');
        await child.exited;
      }
      await local.dispose();
      await central.close();
    });

    const start = (env: Record<string, string> = {}): SpawnedDaemon => {
      const child = spawnDaemon(DAEMON_ENTRY['pull-service'], {
        PDV_ID: PDV.pdvId,
        CENTRAL_API_URL: central.url,
        CENTRAL_API_TOKEN: PDV.token,
        DB_URL: local.url!,
        HEALTH_PORT: '0',
        HEALTH_HOST: '127.0.0.1',
        START_JITTER_MS: '0',
        POLL_INTERVAL_MS: '100',
        PULL_PAGE_SIZE: '20',
        PULL_LONG_POLL_MS: '2000',
        PULL_RETRY_BASE_MS: '50',
        PULL_RETRY_CAP_MS: '500',
        ...env,
      });
      children.push(child);
      return child;
    };
    const produto = async () => (await readCheckpoints(local.db)).get('produto');

    it('SIGKILL mid-snapshot: the restarted process resumes from the stored cursor and ends equal to central, each row applied once', async () => {
      await insertCatalog(central, 0);
      await central.exec(
        `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
         SELECT g, (7890000000000 + g)::text, 'Produto ' || g || ' ação', 1 + g % 3, 'UN', (g * 1.25)::numeric(18,4), '2026-01-01T08:00:00.5', '2026-01-01T08:00:00+00'
         FROM generate_series(1, ${PRODUTOS}) AS g`,
      );
      const initial = start();
      await waitFor(async () => (await produto())?.version !== '0' && (await countRows(local.db, 'produto')) === PRODUTOS, 60_000, 'the first sync');
      // The PDV goes offline (its process is gone) before the central side moves on, so that no delta of the
      // deletes below can be applied before retention drops them: the count below must be exact.
      initial.child.kill('SIGKILL');
      await initial.exited;
      const appliedBefore = BigInt((await produto())!.rowsApplied);

      // Offline for long: every 7th product is deleted centrally, then retention drops the change log.
      await central.exec('DELETE FROM produto WHERE produto_id % 7 = 0');
      await central.forceRetention();
      const first = start();
      const midway = await waitFor(async () => {
        const checkpoint = await produto();
        return checkpoint?.mode === 'snapshot' && checkpoint.snapshotCursor !== null && BigInt(checkpoint.rowsApplied) - appliedBefore >= 400n ? checkpoint : null;
      }, 60_000, 'a snapshot well under way');
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const afterKill = (await produto())!;
      expect(afterKill.mode).toBe('snapshot');
      expect(afterKill.snapshotCursor).not.toBeNull();
      expect(BigInt(afterKill.rowsApplied)).toBeGreaterThanOrEqual(BigInt(midway.rowsApplied));
      const centralCount = (await dumpTable(central.db, 'produto')).length;
      expect(BigInt(afterKill.rowsApplied) - appliedBefore).toBeLessThan(BigInt(centralCount));

      const second = start({ LOG_LEVEL: 'debug' });
      // Every table went to a snapshot after the forced retention, one after another: wait for all of them, not
      // only produto (operador was once compared while its own snapshot was still running).
      const sameCatalog = async () => {
        try {
          await expectSameCatalog(central.db, local.db, PDV.lojaId, (actual, expected, table) => expect(actual, table).toEqual(expected));
          return true;
        } catch {
          return false;
        }
      };
      await waitFor(async () => (await produto())?.mode === 'delta' && (await countRows(local.db, 'produto')) === centralCount && (await sameCatalog()), 60_000, 'the resumed snapshot and every table');
      await expectSameCatalog(central.db, local.db, PDV.lojaId, (actual, expected, table) => expect(actual, table).toEqual(expected));
      const lines = second.stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: string; table?: string; rows?: number });
      // Resumed, not restarted: the pages committed before the kill were not applied a second time. Delta pages
      // applied after the snapshot count too, and are taken out: on a shared PostgreSQL server another
      // database's open transaction can hold the settled bound below the deletes above, and the deltas after
      // the snapshot then carry them again (harmless: they delete rows that are gone already).
      const deltaRows = lines.filter((line) => line.msg === 'delta page applied' && line.table === 'produto').reduce((sum, line) => sum + BigInt(line.rows ?? 0), 0n);
      expect(BigInt((await produto())!.rowsApplied) - appliedBefore - deltaRows).toBe(BigInt(centralCount));
      // produto's snapshot went on from its cursor; the tables the first process never reached start theirs here.
      expect(lines.some((line) => line.msg === 'snapshot started' && line.table === 'produto')).toBe(false);
      expect(lines.some((line) => line.msg === 'snapshot finished; back to deltas' && line.table === 'produto')).toBe(true);
      expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    });
  },
  ['postgres'],
);
