import { createLogger, openDatabase, parseEnv, type Database } from '@goldpdv/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { startCentralApi } from '../src/app.js';
import { centralEnvSchema } from '../src/config.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { makeEvent } from './support/events.js';
import { send } from './support/http-client.js';
import { expectMatchesOpenApi } from './support/openapi.js';

interface Result {
  status: string;
  httpStatus: number;
}

describe('database down', () => {
  const logger = createLogger('central-api', { level: 'fatal', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 1, pretty: false });
  let db: Database;
  let api: Awaited<ReturnType<typeof startCentralApi>>;
  beforeAll(async () => {
    // A real PostgreSQL client pointed at a port where nothing listens: every statement fails to connect.
    db = await openDatabase({ kind: 'postgres', host: '127.0.0.1', port: 1, poolMax: 2, connectTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    api = await startCentralApi(parseEnv(centralEnvSchema, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_PORT: '0', RETRY_AFTER_SECONDS: '7' }), db, logger.logger);
  });
  afterAll(async () => {
    await api?.stop(1_000);
    await db?.close();
    await logger.close();
  });

  it('answers 503 with Retry-After to ingest and to readiness, and stays alive', async () => {
    const headers = { authorization: `Bearer ${PDVS.a.token}`, 'content-type': 'application/json' };
    const ingest = await send(api.port, '/v1/events', { method: 'POST', headers, body: JSON.stringify({ events: [makeEvent()] }) });
    expectMatchesOpenApi('POST', '/v1/events', ingest);
    expect(ingest.status).toBe(503);
    expect(ingest.headers['retry-after']).toBe('7');
    const ready = await send(api.port, '/health/ready');
    expectMatchesOpenApi('GET', '/health/ready', ready);
    expect(ready.status).toBe(503);
    expect((await send(api.port, '/health/live')).status).toBe(200);
  });
});

describeBackends('server faults and shutdown', (backend) => {
  let h: Harness;
  const p = (n: number) => (h.db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
  beforeAll(async () => {
    // Test-only handlers: one slow enough to be in flight during stop, one dropped after start.
    h = await startHarness(backend, { EVENT_HANDLERS: 'test.slow=sync_handle_test_slow,test.gone=sync_handle_test_gone' }, async (db) => {
      await db.executeScript(`
        CREATE FUNCTION sync_handle_test_slow(payload text, pdv_id varchar) RETURNS text LANGUAGE sql AS $$ SELECT 'slept' FROM pg_sleep(0.6) $$;
        CREATE FUNCTION sync_handle_test_gone(payload text, pdv_id varchar) RETURNS text LANGUAGE sql AS $$ SELECT 'gone' $$;`);
    });
  });
  afterAll(async () => h?.close());

  it('answers 500 (logged, nothing stored) when a handler routine disappeared after start', async () => {
    await h.db.executeScript('DROP FUNCTION sync_handle_test_gone(text, varchar)');
    const event = makeEvent({ type: 'test.gone' });
    const neighbour = makeEvent();
    const response = await h.postJson('/v1/events', { events: [neighbour, event] });
    expect(response.status).toBe(500);
    expect(response.json).toMatchObject({ type: 'urn:goldpdv:problem:internal' });
    expect(response.text).not.toContain('sync_handle_test_gone');
    expect(h.logs().some((line) => line.level === 'error' && line.msg === 'unexpected error while handling a request')).toBe(true);
    // One transaction: the neighbour was not half-stored either; the PDV will resend both.
    expect(await h.inboxCount()).toBe(0);
  });

  it('finishes an in-flight request on stop, then refuses new connections', async () => {
    const inFlight = h.postJson('/v1/events', { events: [makeEvent({ type: 'test.slow' })] });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const stopped = h.api.stop(10_000);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect((response.json as { results: Result[] }).results[0]!.status).toBe('applied');
    expect(response.headers.connection).toBe('close');
    await stopped;
    await expect(send(h.port, '/health/live')).rejects.toThrow(/ECONNREFUSED/);
    const { rows } = await h.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM sync_inbox WHERE pdv_id = ${p(1)}`, [PDVS.a.pdvId]);
    expect(Number(rows[0]!.n)).toBe(1);
  });
}, ['pglite', 'postgres']);

describeBackends('lock waits on a concurrent duplicate', (backend) => {
  let h: Harness;
  let blocker: Database;
  beforeAll(async () => {
    h = await startHarness(backend, { INGEST_LOCK_TIMEOUT_MS: '300' });
  });
  afterEach(async () => blocker?.close());
  afterAll(async () => h?.close());

  it('answers retry (409) for the held event and the rest of its stream only, and applies them once the holder rolls back', async () => {
    const held = makeEvent();
    // Later in the held event's stream: must wait behind it, or the stream would be applied out of order.
    const behind = makeEvent();
    const free = makeEvent({ streamKey: 'caixa:other' });
    const url = new URL(process.env.TEST_PG_URL!);
    const { rows } = await h.db.query<{ db: string }>('SELECT current_database() AS db');
    url.pathname = `/${rows[0]!.db}`;
    blocker = await openDatabase({ kind: 'postgres', connectionString: url.toString(), poolMax: 1, connectTimeoutMs: 5_000, requestTimeoutMs: 30_000 });

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const holding = new Promise<void>((resolve) => (inserted = resolve));
    const holder = blocker
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload) VALUES ($1, $2, 'x', 's', $3, '{}')`, [
          PDVS.a.pdvId,
          held.eventId,
          'f'.repeat(64),
        ]);
        inserted();
        await released;
        throw new Error('roll back on purpose');
      })
      .catch(() => undefined);
    await holding;

    const batch = await h.postJson('/v1/events', { events: [held, behind, free] });
    const results = (batch.json as { results: Result[] }).results;
    expect(results.map((r) => [r.status, r.httpStatus])).toEqual([['retry', 409], ['retry', 409], ['applied', 201]]);

    const single = await h.request(`/v1/events/${held.eventId}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${PDVS.a.token}`,
        'content-type': 'application/json',
        'idempotency-key': held.eventId,
        'x-event-type': held.type,
        'x-stream-key': held.streamKey,
        'x-occurred-at': held.occurredAt,
      },
      body: held.payload,
    });
    expect(single.status).toBe(409);
    expect(single.headers['retry-after']).toBe('5');

    release();
    await holder;
    const again = await h.postJson('/v1/events', { events: [held, behind, free] });
    expect((again.json as { results: Result[] }).results.map((r) => r.status)).toEqual(['applied', 'applied', 'duplicate']);
  });
}, ['postgres']);
