import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applySchema } from '../src/db/schema-runner.js';
import { describeBackends, type Backend, type TestDatabase } from './support/backends.js';
import { startCentralProcess, type CentralProcess } from './support/central-process.js';
import { scrape } from './support/prometheus-text.js';
import { DAEMON_ENTRY, REPO_ROOT, spawnDaemon, waitFor, type SpawnedDaemon } from './support/spawn-daemon.js';

/**
 * The central states of the PDV daemons, each driven by a real fault against real processes: central-api,
 * push-service and pull-service run as child processes on their built entry points, with PDVs registered by the
 * admin CLI. A revoked token turns the daemons `auth-refused`; a stopped central-api turns them `unavailable`,
 * then `unreachable-long`, and `reachable` again once it is back. Neither makes a daemon unready or ends it: a
 * restart fixes neither. The third fault, a stalled work loop, ends the process with code 70: stall-exit.test.ts
 * proves it with a real child process.
 *
 * The daemons' database backend does not matter here (the states live in the daemons' memory), so one backend
 * runs: the PostgreSQL server, the one a real central and PDV fleet would resemble most.
 */

const CENTRAL_CLI = join(REPO_ROOT, 'packages/central-api/dist/cli.js');
const REVOKED = 'loja01-revoked';
const OUTAGE = 'loja01-outage';
const SERVICES = ['push-service', 'pull-service'] as const;
type Service = (typeof SERVICES)[number];

interface Readiness {
  httpStatus: number;
  status: string;
  info: { centralState?: string; centralDownSince?: string | null };
}

interface RunningDaemon {
  daemon: SpawnedDaemon;
  port: string;
}

function runCentralCli(args: readonly string[], dbUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CENTRAL_CLI, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', DB_URL: dbUrl } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function readiness(port: string): Promise<Readiness> {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
  const body = (await response.json()) as Omit<Readiness, 'httpStatus'>;
  return { httpStatus: response.status, status: body.status, info: body.info ?? {} };
}

const alive = (running: RunningDaemon) => running.daemon.child.exitCode === null && running.daemon.child.signalCode === null;

describeBackends(
  'health states driven by real faults: a revoked token, a stopped central API',
  (backend: Backend) => {
    let central: TestDatabase;
    let api: CentralProcess | undefined;
    const pdvDatabases = new Map<string, TestDatabase>();
    const daemons = new Map<string, RunningDaemon>();
    const daemonOf = (pdvId: string, service: Service) => daemons.get(`${pdvId}/${service}`)!;
    const logsOf = (pdvId: string) => SERVICES.map((service) => `${service}: ${daemonOf(pdvId, service).daemon.stdout().slice(-600)}`).join(' | ');

    const sell = (pdvId: string, eventId: string) =>
      pdvDatabases.get(pdvId)!.db.query(`INSERT INTO sync_outbox (event_id, event_type, stream_key, payload) VALUES ($1, 'venda.finalizada', 'caixa:1', '{"total":"1.00"}')`, [eventId]);
    const received = async (eventId: string) => (await central.db.query('SELECT 1 FROM sync_inbox WHERE event_id = $1', [eventId])).rows.length === 1;
    /** Polls until every daemon of `pdvId` is ready (200) in `state`: a restart would fix nothing, so none is unready. */
    const waitForState = (pdvId: string, state: string, timeoutMs = 20_000) =>
      Promise.all(
        SERVICES.map((service) =>
          waitFor(async () => {
            const ready = await readiness(daemonOf(pdvId, service).port);
            return ready.httpStatus === 200 && ready.status === 'ok' && ready.info.centralState === state ? ready : null;
          }, timeoutMs, `${pdvId}'s ${service} to be ready in central state ${state} (logs: ${logsOf(pdvId)})`),
        ),
      );

    beforeAll(async () => {
      central = await backend.create({ shared: true });
      await applySchema(central.db, { role: 'central' });
      await central.db.query(`INSERT INTO loja (loja_id, nome) VALUES (1, 'Loja Centro')`);
      const tokens = new Map<string, string>();
      for (const pdvId of [REVOKED, OUTAGE]) {
        const added = await runCentralCli(['pdv', 'add', pdvId, '--loja', '1'], central.url!);
        const token = /^CENTRAL_API_TOKEN=(\S+)$/m.exec(added.stdout)?.[1];
        if (added.code !== 0 || token === undefined) throw new Error(`pdv add ${pdvId} failed: ${added.stderr}`);
        tokens.set(pdvId, token);
        const pdv = await backend.create({ shared: true });
        pdvDatabases.set(pdvId, pdv);
        await applySchema(pdv.db, { role: 'pdv' });
      }
      // No token cache: a revocation is refused at the next request, not within AUTH_CACHE_TTL_MS.
      api = await startCentralProcess({ DB_URL: central.url!, AUTH_CACHE_TTL_MS: '0', LOG_LEVEL: 'info' });
      const common = {
        CENTRAL_API_URL: api.url,
        HEALTH_HOST: '127.0.0.1',
        HEALTH_PORT: '0',
        START_JITTER_MS: '0',
        POLL_INTERVAL_MS: '200',
        STATUS_REPORT_INTERVAL_MS: '0',
        CENTRAL_AUTH_ALERT_MS: '500',
        // Its minimum: one second unreachable is "long" here.
        CENTRAL_UNREACHABLE_ALERT_MS: '1000',
        SHUTDOWN_TIMEOUT_MS: '5000',
      };
      const perService: Record<Service, Record<string, string>> = {
        'push-service': { PUSH_BACKOFF_BASE_MS: '100', PUSH_BACKOFF_CAP_MS: '300', PUSH_CONNECT_TIMEOUT_MS: '1000', PUSH_RESPONSE_TIMEOUT_MS: '2500', PUSH_LEASE_MS: '5000', PUSH_STOP_GRACE_MS: '1000', PUSH_SWEEP_INTERVAL_MS: '0', PUSH_RECONCILE_INTERVAL_MS: '0' },
        'pull-service': { PULL_LONG_POLL_MS: '0', PULL_RETRY_BASE_MS: '100', PULL_RETRY_CAP_MS: '300', PULL_CONNECT_TIMEOUT_MS: '1000', PULL_RESPONSE_TIMEOUT_MS: '3000' },
      };
      for (const pdvId of [REVOKED, OUTAGE]) {
        // A first sale, so that each push-service has spoken to the central API before any fault.
        await sell(pdvId, pdvId === REVOKED ? '00000000-0000-4000-8000-0000000000a1' : '00000000-0000-4000-8000-0000000000b1');
        for (const service of SERVICES) {
          const env = { ...common, ...perService[service], PDV_ID: pdvId, CENTRAL_API_TOKEN: tokens.get(pdvId)!, DB_URL: pdvDatabases.get(pdvId)!.url! };
          const daemon = spawnDaemon(DAEMON_ENTRY[service], env);
          daemons.set(`${pdvId}/${service}`, { daemon, port: '' });
          const port = await waitFor(async () => {
            if (daemon.child.exitCode !== null) throw new Error(`${service} of ${pdvId} exited: ${daemon.stderr()}${daemon.stdout()}`);
            return /"healthPort":(\d+)/.exec(daemon.stdout())?.[1];
          }, 30_000, `${service} of ${pdvId} to listen`);
          daemons.set(`${pdvId}/${service}`, { daemon, port });
        }
      }
    }, 120_000);

    afterAll(async () => {
      for (const { daemon } of daemons.values()) {
        if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGTERM');
        await daemon.exited;
      }
      await api?.stop();
      for (const pdv of pdvDatabases.values()) await pdv.dispose();
      await central?.dispose();
    }, 60_000);

    it('a revoked token: the daemons stay ready and alive, in central state auth-refused, in the body and in metrics', async () => {
      await waitFor(() => received('00000000-0000-4000-8000-0000000000a1'), 30_000, `the first sale of ${REVOKED} to reach the central API (logs: ${logsOf(REVOKED)})`);
      await waitForState(REVOKED, 'reachable');

      const revoked = await runCentralCli(['pdv', 'revoke', REVOKED], central.url!);
      expect(revoked.code, revoked.stderr).toBe(0);
      // push-service speaks to the central API only to deliver: a sale after the revocation meets the 401.
      await sell(REVOKED, '00000000-0000-4000-8000-0000000000a2');
      const states = await waitForState(REVOKED, 'auth-refused');
      for (const ready of states) expect(ready.info.centralDownSince).toMatch(/^\d{4}-\d\d-\d\dT/);

      for (const service of SERVICES) {
        const running = daemonOf(REVOKED, service);
        const metrics = await scrape(`http://127.0.0.1:${running.port}/metrics`);
        expect(metrics.types.get('goldpdv_central_state')).toBe('gauge');
        expect(metrics.value('goldpdv_central_state', { state: 'auth-refused' }), service).toBe(1);
        expect(metrics.value('goldpdv_central_state', { state: 'reachable' }), service).toBe(0);
        expect(running.daemon.stdout(), service).toMatch(/"level":"error".*keeps refusing this PDV's token/);
        expect(alive(running), service).toBe(true);
      }
      // The refused sale is kept for when the token is fixed, not thrown away.
      expect(await received('00000000-0000-4000-8000-0000000000a2')).toBe(false);
      expect((await pdvDatabases.get(REVOKED)!.db.query(`SELECT 1 FROM sync_outbox WHERE event_id = $1`, ['00000000-0000-4000-8000-0000000000a2'])).rows).toHaveLength(1);
    }, 60_000);

    it('every log line of the daemons and of central-api is JSON whose level is a log level, not a field of the same name', () => {
      const outputs = [...[...daemons.values()].map(({ daemon }) => daemon.stdout()), api!.daemon.stdout()];
      for (const output of outputs) {
        const lines = output.split('\n').filter((line) => line.trim() !== '');
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], line).toContain((JSON.parse(line) as { level: unknown }).level);
      }
      expect(outputs.join('\n')).toMatch(/"databaseLevel":\d+,"msg":"database checked"/);
    });

    it('a stopped central API: unavailable, then unreachable-long, ready and alive throughout; reachable again once it is back', async () => {
      await waitFor(() => received('00000000-0000-4000-8000-0000000000b1'), 30_000, `the first sale of ${OUTAGE} to reach the central API (logs: ${logsOf(OUTAGE)})`);
      await waitForState(OUTAGE, 'reachable');
      const port = new URL(api!.url).port;

      await api!.stop();
      api = undefined;
      await sell(OUTAGE, '00000000-0000-4000-8000-0000000000b2');
      // Every state each daemon shows, in order, until it says unreachable-long; each answer must be ready.
      const seen = await Promise.all(
        SERVICES.map(async (service) => {
          const states: string[] = [];
          await waitFor(async () => {
            const ready = await readiness(daemonOf(OUTAGE, service).port);
            // waitFor swallows a throw as "not there yet": an unready answer is recorded as a state instead.
            const state = ready.httpStatus === 200 ? (ready.info.centralState ?? '?') : `unready ${ready.httpStatus}`;
            if (states.at(-1) !== state) states.push(state);
            return state === 'unreachable-long' ? ready : null;
          }, 20_000, `${OUTAGE}'s ${service} to be unreachable-long (seen: ${states.join(' > ')}; logs: ${logsOf(OUTAGE)})`).then((ready) => {
            // Down for at least the alert bound when it says so.
            expect(Date.now() - Date.parse(ready.info.centralDownSince!)).toBeGreaterThanOrEqual(1000);
          });
          return states;
        }),
      );
      for (const states of seen) expect(states.filter((state) => state !== 'reachable')).toEqual(['unavailable', 'unreachable-long']);
      for (const service of SERVICES) {
        const running = daemonOf(OUTAGE, service);
        const metrics = await scrape(`http://127.0.0.1:${running.port}/metrics`);
        expect(metrics.value('goldpdv_central_state', { state: 'unreachable-long' }), service).toBe(1);
        expect(running.daemon.stdout(), service).toContain('central API unreachable for longer than CENTRAL_UNREACHABLE_ALERT_MS');
        expect(alive(running), service).toBe(true);
      }

      // central-api back on the same database and port: the daemons find it by themselves.
      api = await startCentralProcess({ DB_URL: central.url!, AUTH_CACHE_TTL_MS: '0', LOG_LEVEL: 'info', HTTP_PORT: port });
      await waitForState(OUTAGE, 'reachable');
      await waitFor(() => received('00000000-0000-4000-8000-0000000000b2'), 30_000, `the sale made during the outage to be delivered (logs: ${logsOf(OUTAGE)})`);
      for (const service of SERVICES) {
        const running = daemonOf(OUTAGE, service);
        expect((await readiness(running.port)).info.centralDownSince, service).toBeNull();
        expect((await scrape(`http://127.0.0.1:${running.port}/metrics`)).value('goldpdv_central_state', { state: 'reachable' }), service).toBe(1);
        expect(running.daemon.stdout(), service).toContain('central API reachable again');
        expect(alive(running), service).toBe(true);
      }
    }, 60_000);
  },
  ['postgres'],
);
