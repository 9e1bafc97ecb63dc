import { Writable } from 'node:stream';
import { applySchema, createLogger, parseEnv, tokenHash, type Database, type Queryable, type SyncLogger } from '@goldpdv/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from '../../core/test/support/backends.js';
import { startCentralApi } from '../src/app.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema } from '../src/config.js';
import { storesFor } from '../src/dialect-stores.js';
import { startLastSeenRecorder } from '../src/pdv/last-seen.js';
import { PDV_SQL_MSSQL } from '../src/pdv/pdv-store.mssql.js';
import { PDV_SQL_POSTGRES } from '../src/pdv/pdv-store.postgres.js';
import { send } from './support/http-client.js';

const PDVS = ['loja01-pdv01', 'loja01-pdv02', 'loja02-pdv01'].map((pdvId, i) => ({ pdvId, lojaId: i < 2 ? 1 : 2, token: `token-${pdvId}-last-seen-xxxxxx` }));

/** The real database, with every last-seen write counted (and, when asked, failed once): nothing else changes. */
function countingWrites(inner: Database, statement: string): Database & { writes: number; failNext: boolean } {
  const counted = {
    writes: 0,
    failNext: false,
    dialect: inner.dialect,
    query(sql: string, params?: readonly unknown[]) {
      if (sql === statement) {
        counted.writes += 1;
        if (counted.failNext) {
          counted.failNext = false;
          return Promise.reject(new Error('the database went away for this write'));
        }
      }
      return inner.query(sql, params);
    },
    executeScript: (sql: string) => inner.executeScript(sql),
    transaction: <T>(work: (tx: Queryable) => Promise<T>, options?: Parameters<Database['transaction']>[1]) => inner.transaction(work, options),
    dedicated: (options: Parameters<Database['dedicated']>[0]) => inner.dedicated(options),
    close: () => inner.close(),
  };
  return counted as Database & { writes: number; failNext: boolean };
}

function quietLogger(): SyncLogger {
  return createLogger('central-api', { level: 'error', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false }, { destination: new Writable({ write: (_c, _e, done) => done() }) });
}

describeBackends('when each PDV was last seen', (backend) => {
  let database: TestDatabase;
  let logger: SyncLogger;
  beforeEach(async () => {
    database = await backend.create();
    logger = quietLogger();
    await applySchema(database.db, { role: 'central' });
    const p = (n: number) => (database.db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
    await database.db.query(`INSERT INTO loja (loja_id, nome) VALUES (1, ${p(1)}), (2, ${p(2)})`, ['A', 'B']);
    for (const pdv of PDVS) await database.db.query(`INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [pdv.pdvId, pdv.lojaId, tokenHash(pdv.token)]);
  });
  afterEach(async () => {
    await logger.close();
    await database.dispose();
  });

  const lastSeen = async (db: Database) => {
    const rows = await storesFor(db.dialect).pdvs.listAll(db);
    return new Map(rows.map((pdv) => [pdv.pdvId, pdv.lastSeenAt]));
  };

  it('300 requests of three PDVs cost no write while they run and one statement at the end, holding each PDV\'s latest request', async () => {
    const db = countingWrites(database.db, lastSeenStatement(database.db));
    const config = parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0', PDV_LAST_SEEN_INTERVAL_MS: '3600000' }, CENTRAL_SECRET_VARIABLES);
    const api = await startCentralApi(config, db, logger.logger);
    const lastRequest = new Map<string, { before: number; after: number }>();
    try {
      for (let i = 0; i < 300; i++) {
        const pdv = PDVS[i % PDVS.length]!;
        const before = Date.now();
        const answer = await send(api.port, '/v1/pdv', { headers: { authorization: `Bearer ${pdv.token}` } });
        expect(answer.status).toBe(200);
        lastRequest.set(pdv.pdvId, { before, after: Date.now() });
      }
      expect(db.writes).toBe(0);
      expect([...(await lastSeen(database.db)).values()]).toEqual([null, null, null]);
    } finally {
      await api.stop(500);
    }
    expect(db.writes).toBe(1);
    const seen = await lastSeen(database.db);
    for (const pdv of PDVS) {
      const at = seen.get(pdv.pdvId)!.getTime();
      const { before, after } = lastRequest.get(pdv.pdvId)!;
      // Stored to the millisecond (datetime2(3), timestamptz): the time of that PDV's last request.
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    }
  });

  it('while requests keep coming, the times are written every interval, not per request', async () => {
    const db = countingWrites(database.db, lastSeenStatement(database.db));
    const config = parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0', PDV_LAST_SEEN_INTERVAL_MS: '250' }, CENTRAL_SECRET_VARIABLES);
    const api = await startCentralApi(config, db, logger.logger);
    let requests = 0;
    const started = Date.now();
    try {
      // As fast as the server answers, until the timer has written twice (and the loop is not a trickle).
      while (db.writes < 2 || requests < 200) {
        expect(Date.now() - started).toBeLessThan(30_000);
        await send(api.port, '/v1/pdv', { headers: { authorization: `Bearer ${PDVS[requests % 3]!.token}` } });
        requests += 1;
      }
      const elapsed = Date.now() - started;
      // A timer can only fire late, never early: at most one write per started interval.
      expect(db.writes).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
      expect(db.writes).toBeLessThan(requests / 5);
      expect([...(await lastSeen(database.db)).values()].every((at) => at !== null)).toBe(true);
    } finally {
      await api.stop(500);
    }
  });

  it('a failed write keeps the times for the next one, and a time never moves backwards (several replicas write)', async () => {
    const store = storesFor(database.db.dialect).pdvs;
    const db = countingWrites(database.db, lastSeenStatement(database.db));
    const recorder = startLastSeenRecorder({ db, store, intervalMs: 3_600_000, logger: logger.logger });
    try {
      const newer = new Date(Date.UTC(2026, 11, 3, 12, 0, 0, 456));
      recorder.seen(PDVS[0]!.pdvId, new Date(newer.getTime() - 1_000));
      recorder.seen(PDVS[0]!.pdvId, newer);
      db.failNext = true;
      await recorder.flush();
      expect((await lastSeen(database.db)).get(PDVS[0]!.pdvId)).toBeNull();
      await recorder.flush();
      expect((await lastSeen(database.db)).get(PDVS[0]!.pdvId)).toEqual(newer);
      // Another replica that saw an older request writes later: the newer time stays.
      await store.recordLastSeen(database.db, [{ pdvId: PDVS[0]!.pdvId, seenAt: new Date(newer.getTime() - 60_000) }]);
      expect((await lastSeen(database.db)).get(PDVS[0]!.pdvId)).toEqual(newer);
      await recorder.flush();
      expect(db.writes).toBe(2);
    } finally {
      await recorder.stop();
    }
  });
});

/** The one statement that writes last-seen times, in the database's dialect. */
function lastSeenStatement(db: Database): string {
  return db.dialect === 'mssql' ? PDV_SQL_MSSQL.recordLastSeen : PDV_SQL_POSTGRES.recordLastSeen;
}
