import { join } from 'node:path';
import { REPO_ROOT, spawnDaemon, waitFor, type SpawnedDaemon } from './spawn-daemon.js';

export const CENTRAL_ENTRY = join(REPO_ROOT, 'packages/central-api/dist/main.js');

export interface CentralProcess {
  daemon: SpawnedDaemon;
  url: string;
  /** The admin port: /metrics. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** Starts the built central-api as a child process and waits until it listens. */
export async function startCentralProcess(env: Record<string, string>): Promise<CentralProcess> {
  const daemon = spawnDaemon(CENTRAL_ENTRY, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_HOST: '127.0.0.1', ADMIN_PORT: '0', ...env });
  const [port, adminPort] = await waitFor(async () => {
    if (daemon.child.exitCode !== null) throw new Error(`central-api exited: ${daemon.stderr()}`);
    const match = /"port":(\d+),"adminPort":(\d+)/.exec(daemon.stdout());
    return match ? [match[1]!, match[2]!] : undefined;
  }, 60_000, 'central-api to listen');
  return {
    daemon,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    async stop() {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGTERM');
      await daemon.exited;
    },
  };
}
