import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applySchema } from '../src/db/schema-runner.js';
import { CentralAvailability } from '../src/health/central-availability.js';
import { HealthState } from '../src/health/health-state.js';
import { createHttpClient, type HttpClient } from '../src/http/index.js';
import { checkPdvStatusReport, startStatusReporter, type PdvStatusReport, type StatusReporter } from '../src/status-report/index.js';
import { describeBackends, type TestDatabase } from './support/backends.js';

interface Received {
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** A real HTTP server standing for the central API: answers `status` and keeps what it received. */
async function fakeCentral(status: () => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const read = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text));
  });
  const server = createServer((req, res) => {
    void read(req).then((text) => {
      received.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(text) as unknown });
      res.writeHead(status(), { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function recordingLogger() {
  const lines: { level: string; msg: string }[] = [];
  const log = (level: string) => (_: object, msg: string) => lines.push({ level, msg });
  return { lines, logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } };
}

describeBackends('status reports of the PDV daemons', (backend) => {
  let pdv: TestDatabase;
  let http: HttpClient;
  const cleanup: (() => Promise<void> | void)[] = [];
  beforeEach(async () => {
    pdv = await backend.create();
    await applySchema(pdv.db, { role: 'pdv' });
    http = createHttpClient({ connectTimeoutMs: 2_000, responseTimeoutMs: 5_000, rejectUnauthorized: true });
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    http.close();
    await pdv.dispose();
  });

  const start = (options: { url: string; service: 'pull-service' | 'push-service'; health: HealthState; intervalMs?: number; central?: CentralAvailability }, log = recordingLogger()): StatusReporter => {
    const reporter = startStatusReporter({ ...options, version: '9.8.7', db: pdv.db, http, centralUrl: options.url, token: 'the-pdv-token', intervalMs: options.intervalMs ?? 0, logger: log.logger });
    cleanup.push(() => reporter.stop());
    return reporter;
  };

  it('pull-service reports each table\'s version, mode, lag and rejected rows, its health and clock, with its token', async () => {
    const central = await fakeCentral(() => 202);
    cleanup.push(() => new Promise<void>((resolve) => central.server.close(() => resolve())));
    const caughtUp = new Date(Date.now() - 120_000).toISOString();
    await pdv.db.query(`INSERT INTO sync_checkpoint (table_name, version, mode, rows_applied, last_success_at) VALUES ('produto', 42, 'delta', 1200, '${caughtUp}')`);
    await pdv.db.query(`INSERT INTO sync_checkpoint (table_name, version, mode, rows_applied) VALUES ('cliente', 0, 'snapshot', 0)`);
    await pdv.db.query(`INSERT INTO sync_rejected_row (table_name, row_key, reason) VALUES ('cliente', '{"id":1}', 'value too long')`);
    // Not ready (its database never checked), and refused by the central API: both travel in the report.
    const health = new HealthState({ maxLoopSilenceMs: 60_000, requiredComponents: ['database'] });
    const availability = new CentralAvailability(health, recordingLogger().logger, { meanwhile: 'x', authAlertMs: 0 });
    availability.unavailable('401 Unauthorized', 401);

    const before = Date.now();
    expect(await start({ url: central.url, service: 'pull-service', health }).report()).toBe(true);
    expect(central.received).toHaveLength(1);
    const [sent] = central.received;
    expect(sent!.path).toBe('/v1/pdv/status');
    expect(sent!.authorization).toBe('Bearer the-pdv-token');
    const checked = checkPdvStatusReport(sent!.body);
    expect(checked.ok).toBe(true);
    const report = sent!.body as Extract<PdvStatusReport, { daemon: 'pull-service' }>;
    expect(report).toMatchObject({ daemon: 'pull-service', version: '9.8.7', health: { ready: false, centralState: 'auth-refused' } });
    expect(Date.parse(report.clock)).toBeGreaterThanOrEqual(before - 1);
    expect(report.pull.tables).toEqual([
      { table: 'cliente', version: '0', mode: 'snapshot', lagSeconds: null, rejectedRows: 1, lastError: null },
      { table: 'produto', version: '42', mode: 'delta', lagSeconds: expect.any(Number), rejectedRows: 0, lastError: null },
    ]);
    expect(report.pull.tables[1]!.lagSeconds).toBeGreaterThanOrEqual(119);
    expect(report.pull.tables[1]!.lagSeconds).toBeLessThan(180);
  });

  it('push-service reports the outbox and dead letters; the timer sends them on its own; a failing central is logged once at warn', async () => {
    let answer = 503;
    const central = await fakeCentral(() => answer);
    cleanup.push(() => new Promise<void>((resolve) => central.server.close(() => resolve())));
    await pdv.db.query(`INSERT INTO sync_outbox (event_id, event_type, stream_key, payload, created_at) VALUES ('00000000-0000-4000-8000-000000000001', 'sale', 's1', '{}', now() - interval '600 seconds')`);
    await pdv.db.query(`INSERT INTO sync_dead_letter (outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count, next_attempt_at, reason)
      VALUES (10, '00000000-0000-4000-8000-000000000010', 'sale', 's9', '{}', now(), 1, 1, now(), 'payload_conflict')`);
    const log = recordingLogger();
    const reporter = start({ url: central.url, service: 'push-service', health: new HealthState({ maxLoopSilenceMs: 60_000 }), intervalMs: 50 }, log);
    const deadline = Date.now() + 10_000;
    while (central.received.length < 3) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(log.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(log.lines.filter((line) => line.level === 'debug').length).toBeGreaterThanOrEqual(1);
    answer = 202;
    // A send the timer began before the change joins this call and may still be answered 503 (report() shares the
    // send in flight); the one after it is answered 202.
    const sent = (await reporter.report()) || (await reporter.report());
    expect(sent).toBe(true);
    expect(log.lines.at(-1)).toMatchObject({ level: 'info' });
    const report = central.received.at(-1)!.body as Extract<PdvStatusReport, { daemon: 'push-service' }>;
    expect(checkPdvStatusReport(report).ok).toBe(true);
    expect(report.push.outbox).toMatchObject({ pending: 1, deadLetters: 1 });
    expect(report.push.outbox.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(590);
    await reporter.stop();
    const count = central.received.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(central.received.length).toBe(count);
  });

  it('tells the daemon\'s view of central what each answer says: a refused token, an answer, no answer; not a refused report', async () => {
    let answer = 401;
    const central = await fakeCentral(() => answer);
    cleanup.push(() => new Promise<void>((resolve) => central.server.close(() => resolve())));
    const health = new HealthState({ maxLoopSilenceMs: 60_000 });
    const availability = new CentralAvailability(health, recordingLogger().logger, { meanwhile: 'x', authAlertMs: 0 });
    const reporter = start({ url: central.url, service: 'push-service', health, central: availability });
    expect(await reporter.report()).toBe(false);
    expect(availability.state).toBe('auth-refused');
    answer = 202;
    expect(await reporter.report()).toBe(true);
    expect(availability.state).toBe('reachable');
    answer = 400;
    expect(await reporter.report()).toBe(false);
    expect(availability.state).toBe('reachable');
    answer = 503;
    expect(await reporter.report()).toBe(false);
    expect(availability.state).toBe('unavailable');
    await new Promise<void>((resolve) => central.server.close(() => resolve()));
    answer = 202;
    expect(await reporter.report()).toBe(false);
    expect(availability.isUnavailable).toBe(true);
  });

  it('a central API that is not there costs a false and a log line, never an exception', async () => {
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const log = recordingLogger();
    expect(await start({ url: `http://127.0.0.1:${port}`, service: 'pull-service', health: new HealthState({ maxLoopSilenceMs: 60_000 }) }, log).report()).toBe(false);
    expect(log.lines).toEqual([{ level: 'warn', msg: expect.stringContaining('status report not sent') }]);
  });
});
