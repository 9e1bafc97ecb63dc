import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../packages/core/test/support/spawn-daemon.js';

/** Runs the built push-service CLI against a database (and any other variables) and collects its output. */
export function runCli(args: string[], dbUrl: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'push-service/dist/cli.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', DB_URL: dbUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
