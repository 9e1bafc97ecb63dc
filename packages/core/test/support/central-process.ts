import { join } from 'node:path';
import { REPO_ROOT, spawnDaemon, waitFor, type SpawnedDaemon } from './spawn-daemon.js';

export const CENTRAL_ENTRY = join(REPO_ROOT, 'packages/central-api/dist/main.js');

export interface CentralProcess {
  daemon: SpawnedDaemon;
  url: string;
  stop(): Promise<void>;
}

/** Starts the built central-api as a child process and waits until it listens. */
export async function startCentralProcess(env: Record<string, string>): Promise<CentralProcess> {
  const daemon = spawnDaemon(CENTRAL_ENTRY, { HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ...env });
  const port = await waitFor(async () => {
    if (daemon.child.exitCode !== null) throw new Error(`central-api exited: ${daemon.stderr()}`);
    return /"port":(\d+)/.exec(daemon.stdout())?.[1];
  }, 60_000, 'central-api to listen');
  return {
    daemon,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGTERM');
      await daemon.exited;
    },
  };
}
