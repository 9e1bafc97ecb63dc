import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export const ENTRY_POINTS = {
  'central-api': join(REPO_ROOT, 'packages/central-api/dist/main.js'),
  'pull-service': join(REPO_ROOT, 'pull-service/dist/main.js'),
  'push-service': join(REPO_ROOT, 'push-service/dist/main.js'),
} as const;

export interface RunningDaemon {
  name: string;
  child: ChildProcess;
  /** Everything the daemon printed on stdout so far (JSON lines), for the few facts the demo reads. */
  output(): string;
  /** Peak resident memory of the process so far, in MB (Linux /proc), or null elsewhere. */
  peakRssMb(): Promise<number | null>;
  stop(): Promise<number | null>;
}

/**
 * Starts a daemon on its normal entry point with its normal configuration (environment variables), as a
 * child process. Its stdout and stderr go to a file in the demo's log folder, as `docker logs` would keep them.
 */
export function startDaemon(name: string, entry: string, env: Record<string, string>, logDir: string): RunningDaemon {
  const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = createWriteStream(join(logDir, `${name}.out.log`));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    file.write(chunk);
    if (output.length < 1_000_000) output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => file.write(chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stopping: Promise<number | null> | undefined;
  return {
    name,
    child,
    output: () => output,
    async peakRssMb() {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
      } catch {
        return null;
      }
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const code = await exited;
        file.end();
        return code;
      })();
      return stopping;
    },
  };
}
