import { randomBytes } from 'node:crypto';
import { applySchema } from '../../../packages/core/src/db/schema-runner.js';
import type { Backend, TestDatabase } from '../../../packages/core/test/support/backends.js';
import { startCentralProcess, type CentralProcess } from '../../../packages/core/test/support/central-process.js';
import { startFaultProxy, type FaultProxy } from '../../../packages/core/test/support/fault-proxy.js';
import { DAEMON_ENTRY, spawnDaemon, waitFor, type SpawnedDaemon } from '../../../packages/core/test/support/spawn-daemon.js';
import { countRows } from './outbox-fixtures.js';

export const PDV_ID = 'loja01-pdv01';

/**
 * The whole push loop on real parts: a PDV database and a central database (both reachable from child
 * processes), central-api and push-service as real child processes on their built entry points, and a
 * fault-injecting proxy between them.
 */
export interface PushRig {
  pdv: TestDatabase;
  central: TestDatabase;
  api: CentralProcess;
  proxy: FaultProxy;
  token: string;
  pushEnv(overrides?: Record<string, string>): Record<string, string>;
  startPush(overrides?: Record<string, string>): SpawnedDaemon;
  waitDrained(timeoutMs: number, expectedDead?: number): Promise<void>;
  inboxCount(): Promise<number>;
  dispose(): Promise<void>;
}

export async function createPushRig(backend: Backend, centralEnv: Record<string, string> = {}): Promise<PushRig> {
  const central = await backend.create({ shared: true });
  const pdv = await backend.create({ shared: true });
  await applySchema(central.db, { role: 'central' });
  await applySchema(pdv.db, { role: 'pdv' });
  await central.db.query(`INSERT INTO loja (loja_id, nome, cnpj) VALUES (1, 'Loja Centro', '12345678000199')`);
  const token = randomBytes(24).toString('base64url');
  const api = await startCentralProcess({ DB_URL: central.url!, PDV_TOKENS: `${PDV_ID}:1:${token}`, LOG_LEVEL: 'info', ...centralEnv });
  const proxy = await startFaultProxy(api.url);
  const daemons: SpawnedDaemon[] = [];

  const pushEnv = (overrides: Record<string, string> = {}) => ({
    PDV_ID,
    CENTRAL_API_URL: proxy.url,
    CENTRAL_API_TOKEN: token,
    DB_URL: pdv.url!,
    HEALTH_HOST: '127.0.0.1',
    HEALTH_PORT: '0',
    START_JITTER_MS: '0',
    POLL_INTERVAL_MS: '200',
    PUSH_BACKOFF_BASE_MS: '100',
    PUSH_BACKOFF_CAP_MS: '2000',
    PUSH_LEASE_MS: '5000',
    PUSH_CONNECT_TIMEOUT_MS: '1000',
    PUSH_RESPONSE_TIMEOUT_MS: '2500',
    PUSH_STOP_GRACE_MS: '1000',
    SHUTDOWN_TIMEOUT_MS: '8000',
    // No status report through the proxy: the tests count and plan the event requests it sees.
    STATUS_REPORT_INTERVAL_MS: '0',
    ...overrides,
  });

  return {
    pdv,
    central,
    api,
    proxy,
    token,
    pushEnv,
    startPush(overrides) {
      const daemon = spawnDaemon(DAEMON_ENTRY['push-service'], pushEnv(overrides));
      daemons.push(daemon);
      return daemon;
    },
    async waitDrained(timeoutMs, expectedDead = 0) {
      await waitFor(
        async () =>
          (await countRows(pdv.db, 'sync_outbox', 'sent_at IS NULL')) === 0 && (await countRows(pdv.db, 'sync_dead_letter')) === expectedDead,
        timeoutMs,
        'the outbox to drain',
      );
    },
    inboxCount: () => countRows(central.db, 'sync_inbox'),
    async dispose() {
      for (const daemon of daemons) {
        if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
        await daemon.exited;
      }
      await proxy.stop();
      await api.stop();
      await pdv.dispose();
      await central.dispose();
    },
  };
}

/** Sends SIGTERM and waits for the exit; returns the exit code. */
export async function stopGracefully(daemon: SpawnedDaemon): Promise<number | null> {
  daemon.child.kill('SIGTERM');
  return (await daemon.exited).code;
}
