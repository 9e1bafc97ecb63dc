import { applySchema, parseEnv, type Database, type PullStatusReport, type SyncLogger } from '@goldpdv/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from '../../core/test/support/backends.js';
import { startCentralApi } from '../src/app.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema } from '../src/config.js';
import { storesFor } from '../src/dialect-stores.js';
import { STATUS_REPORT_SQL_MSSQL } from '../src/pdv/status-report-store.mssql.js';
import { STATUS_REPORT_SQL_POSTGRES } from '../src/pdv/status-report-store.postgres.js';
import { startStatusReportRecorder } from '../src/pdv/status-reports.js';
import { countingStatement, pullReport, pushReport, quietLogger, registerPdvs, type TestPdv } from './support/fleet-rig.js';
import { send } from './support/http-client.js';
import { expectMatchesOpenApi } from './support/openapi.js';

const PDVS: TestPdv[] = ['loja01-pdv01', 'loja01-pdv02', 'loja02-pdv01', 'loja02-pdv02'].map((pdvId, i) => ({ pdvId, lojaId: i < 2 ? 1 : 2, token: `token-${pdvId}-reports-xxxxxxxx` }));

const upsertOf = (db: Database) => (db.dialect === 'mssql' ? STATUS_REPORT_SQL_MSSQL.upsert : STATUS_REPORT_SQL_POSTGRES.upsert);
const configOf = (flushMs: number) => parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0', FLEET_FLUSH_INTERVAL_MS: String(flushMs), PDV_RATE_LIMIT_PER_S: '0' }, CENTRAL_SECRET_VARIABLES);
const post = (port: number, token: string | null, body: unknown) =>
  send(port, '/v1/pdv/status', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describeBackends('PDV status reports at the central API', (backend) => {
  let database: TestDatabase;
  let logger: SyncLogger;
  beforeEach(async () => {
    database = await backend.create();
    logger = quietLogger();
    await applySchema(database.db, { role: 'central' });
    await registerPdvs(database.db, PDVS);
  });
  afterEach(async () => {
    await logger.close();
    await database.dispose();
  });

  it('200 reports of four PDVs cost one write per flush, and the stored rows are the latest report of each PDV and daemon', async () => {
    const db = countingStatement(database.db, upsertOf(database.db));
    const api = await startCentralApi(configOf(3_600_000), db, logger.logger);
    const latest = new Map<string, unknown>();
    try {
      for (let i = 0; i < 200; i++) {
        const pdv = PDVS[i % PDVS.length]!;
        const report = i % 2 === 0 ? pullReport({ tableVersion: String(i) }) : pushReport({ pending: i });
        const answer = await post(api.port, pdv.token, report);
        expect(answer.status, answer.text).toBe(202);
        if (i === 0) expectMatchesOpenApi('POST', '/v1/pdv/status', answer);
        latest.set(`${pdv.pdvId}/${report.daemon}`, report);
      }
      expect(db.runs).toBe(0);
      expect(await storesFor(db.dialect).statusReports.readAll(database.db)).toEqual([]);
    } finally {
      await api.stop(500);
    }
    // One flush at stop: one statement for every report received.
    expect(db.runs).toBe(1);
    const stored = await storesFor(db.dialect).statusReports.readAll(database.db);
    expect(new Map(stored.map((row) => [`${row.pdvId}/${row.daemon}`, JSON.parse(row.report) as unknown]))).toEqual(latest);
  });

  it('while reports keep coming, they are written once per interval, not per report', async () => {
    const db = countingStatement(database.db, upsertOf(database.db));
    const api = await startCentralApi(configOf(200), db, logger.logger);
    let reports = 0;
    const started = Date.now();
    try {
      while (db.runs < 3 || reports < 150) {
        expect(Date.now() - started).toBeLessThan(30_000);
        const answer = await post(api.port, PDVS[reports % PDVS.length]!.token, pullReport({ tableVersion: String(reports) }));
        expect(answer.status).toBe(202);
        reports += 1;
      }
      const elapsed = Date.now() - started;
      expect(db.runs).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 1);
      expect(db.runs).toBeLessThan(reports / 5);
    } finally {
      await api.stop(500);
    }
    expect((await storesFor(db.dialect).statusReports.readAll(database.db)).map((row) => row.pdvId).sort()).toEqual(PDVS.map((pdv) => pdv.pdvId).sort());
  });

  it('a malformed report is a 400 problem naming the member; no token is a 401; the PDV is always the token\'s', async () => {
    const api = await startCentralApi(configOf(3_600_000), database.db, logger.logger);
    try {
      const good = pullReport() as PullStatusReport;
      const badVersion = { ...good, pull: { tables: [{ ...good.pull.tables[0], version: 'twelve' }] } };
      const answer = await post(api.port, PDVS[0]!.token, badVersion);
      expect(answer.status).toBe(400);
      expectMatchesOpenApi('POST', '/v1/pdv/status', answer);
      expect(answer.json).toMatchObject({ type: 'urn:goldpdv:problem:invalid-request', field: 'pull.tables.0.version' });
      expect((await post(api.port, PDVS[0]!.token, { daemon: 'sales-service' })).status).toBe(400);
      expect((await post(api.port, PDVS[0]!.token, '{"daemon":')).status).toBe(400);
      expect((await post(api.port, PDVS[0]!.token, [1, 2])).status).toBe(400);
      expect((await post(api.port, null, pullReport())).status).toBe(401);
      expect((await post(api.port, 'not-a-token-of-anyone-at-all-xxxx', pullReport())).status).toBe(401);
      // A report that names another PDV is stored as the token's PDV: the name is not part of the report.
      expect((await post(api.port, PDVS[1]!.token, { ...pullReport({ tableVersion: '7' }), pdvId: PDVS[0]!.pdvId })).status).toBe(202);
    } finally {
      await api.stop(500);
    }
    const stored = await storesFor(database.db.dialect).statusReports.readAll(database.db);
    expect(stored.map((row) => row.pdvId)).toEqual([PDVS[1]!.pdvId]);
    expect(JSON.parse(stored[0]!.report)).not.toHaveProperty('pdvId');
  });

  it('an older report written by another replica later does not replace a newer one', async () => {
    const store = storesFor(database.db.dialect).statusReports;
    const newer = new Date(Date.UTC(2026, 11, 3, 12, 0, 0, 456));
    await store.upsert(database.db, [{ pdvId: PDVS[0]!.pdvId, daemon: 'pull-service', receivedAt: newer, report: '{"n":2}' }]);
    await store.upsert(database.db, [{ pdvId: PDVS[0]!.pdvId, daemon: 'pull-service', receivedAt: new Date(newer.getTime() - 60_000), report: '{"n":1}' }]);
    expect(await store.readAll(database.db)).toEqual([{ pdvId: PDVS[0]!.pdvId, daemon: 'pull-service', receivedAt: newer, report: '{"n":2}' }]);
  });

  it('stop is safe to call twice and bounded when the database does not answer', async () => {
    const hanging = { dialect: database.db.dialect, query: () => new Promise<never>(() => {}) } as unknown as Database;
    const recorder = startStatusReportRecorder({ db: hanging, store: storesFor(database.db.dialect).statusReports, intervalMs: 3_600_000, stopTimeoutMs: 300, logger: logger.logger });
    recorder.note(PDVS[0]!.pdvId, pullReport());
    const started = Date.now();
    await Promise.all([recorder.stop(), recorder.stop()]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
