import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { REPO_ROOT } from './support/spawn-daemon.js';

const fixture = fileURLToPath(new URL('./fixtures/stalling-daemon.ts', import.meta.url));

interface Run {
  exited: Promise<number | null>;
  output(): string;
  kill(): void;
}

function runFixture(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', DB_URL: 'pglite://memory', HEALTH_PORT: '0', HEALTH_HOST: '127.0.0.1', START_JITTER_MS: '0', POLL_INTERVAL_MS: '100', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), output: () => output, kill: () => child.kill('SIGKILL') };
}

describe('a stalled work loop ends the process, so that the restart policy acts', () => {
  const runs: Run[] = [];
  const dirs: string[] = [];
  const disposables: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const run of runs.splice(0)) {
      run.kill();
      await run.exited;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    for (const dispose of disposables.splice(0)) await dispose();
  });

  it('a loop stuck in an await exits with code 70 and a fatal line, once the bound has passed', async () => {
    const run = runFixture({ STALL: '1', LOOP_STALL_TIMEOUT_MS: '1000', LOOP_STALL_EXIT_MS: '2000' });
    runs.push(run);
    const started = Date.now();
    expect(await run.exited).toBe(70);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(run.output()).toContain('cycle 2');
    expect(run.output()).toMatch(/"level":"fatal".*"boundMs":2000.*"msg":"work loop stalled; exiting with code 70/);
  }, 60_000);

  // On a server: embedded PGlite runs a statement on the event loop itself, so no timer could fire meanwhile
  // and the test could not tell a heartbeat from a blocked watchdog.
  it.skipIf(BACKENDS.find((backend) => backend.name === 'postgres')!.skipReason !== null)('a long schema migration at start is progress, not a stall: the daemon goes on to its cycles (PostgreSQL server)', async () => {
    const database = await BACKENDS.find((backend) => backend.name === 'postgres')!.create();
    disposables.push(() => database.dispose());
    const dir = mkdtempSync(join(tmpdir(), 'gp-stall-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'postgres', 'pdv'), { recursive: true });
    mkdirSync(join(dir, 'mssql', 'pdv'), { recursive: true });
    // Four seconds of migration against a two-second exit bound.
    writeFileSync(join(dir, 'postgres', 'pdv', '0001_slow_migration.sql'), 'SELECT pg_sleep(4);');
    const run = runFixture({ DB_URL: database.url!, DB_SCHEMA_DIR: dir, LOOP_STALL_TIMEOUT_MS: '1000', LOOP_STALL_EXIT_MS: '2000' });
    runs.push(run);
    const deadline = Date.now() + 45_000;
    while (!run.output().includes('cycle 3') && Date.now() < deadline) {
      const code = await Promise.race([run.exited, new Promise((resolve) => setTimeout(() => resolve('running'), 200))]);
      if (code !== 'running') throw new Error(`the daemon exited (${String(code)}) during or after the migration:\n${run.output()}`);
    }
    expect(run.output()).toMatch(/"script":"pdv\/0001_slow_migration.sql".*"msg":"schema script applied"/);
    expect(run.output()).toContain('cycle 3');
    expect(run.output()).not.toContain('work loop stalled');
  }, 60_000);

  it('refuses an exit bound that is not above the liveness bound', async () => {
    const run = runFixture({ LOOP_STALL_TIMEOUT_MS: '5000', LOOP_STALL_EXIT_MS: '5000' });
    runs.push(run);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('stall-fixture: invalid configuration: LOOP_STALL_EXIT_MS: expected more than LOOP_STALL_TIMEOUT_MS (5000), or 0; found 5000');
  }, 60_000);
});
