import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createShutdown, type ShutdownLogger } from '../src/shutdown/index.js';

const fixture = fileURLToPath(new URL('./fixtures/shutdown-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface LoggedLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function recordingLogger(): { logger: ShutdownLogger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const record = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, message, fields });
  };
  return { logger: { info: record('info'), warn: record('warn'), error: record('error') }, lines };
}

describe('createShutdown', () => {
  it('stops components in reverse order of registration, then exits 0', async () => {
    const order: string[] = [];
    const exitCodes: number[] = [];
    const { logger } = recordingLogger();
    const shutdown = createShutdown({ logger, timeoutMs: 1_000, exit: (code) => exitCodes.push(code) });
    shutdown.register('logger', () => void order.push('logger'));
    shutdown.register('pool', async () => void order.push('pool'));
    shutdown.register('loop', () => void order.push('loop'));

    expect(shutdown.stopping).toBe(false);
    await shutdown.shutdown('test');
    expect(shutdown.stopping).toBe(true);
    expect(order).toEqual(['loop', 'pool', 'logger']);
    expect(exitCodes).toEqual([0]);
  });

  it('is idempotent: a second call returns the same promise and each stop runs once', async () => {
    let stops = 0;
    const exitCodes: number[] = [];
    const shutdown = createShutdown({ logger: recordingLogger().logger, timeoutMs: 1_000, exit: (c) => exitCodes.push(c) });
    shutdown.register('pool', async () => {
      stops += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    const first = shutdown.shutdown('first');
    const second = shutdown.shutdown('second', 3);
    expect(second).toBe(first);
    await Promise.all([first, second]);
    expect(stops).toBe(1);
    expect(exitCodes).toEqual([0]);
  });

  it('runs every stop even when one throws, logs the failure and exits non-zero', async () => {
    const order: string[] = [];
    const exitCodes: number[] = [];
    const { logger, lines } = recordingLogger();
    const shutdown = createShutdown({ logger, timeoutMs: 1_000, exit: (code) => exitCodes.push(code) });
    shutdown.register('logger', () => void order.push('logger'));
    shutdown.register('pool', async () => {
      order.push('pool');
      throw new Error('pool already closed');
    });
    shutdown.register('loop', () => void order.push('loop'));

    await shutdown.shutdown('test');
    expect(order).toEqual(['loop', 'pool', 'logger']);
    const failure = lines.find((line) => line.message === 'component failed to stop');
    expect(failure?.fields.component).toBe('pool');
    expect(exitCodes).toEqual([1]);
  });

  it('bounds a hanging stop by timeoutMs, names the component and exits non-zero', async () => {
    const exitCodes: number[] = [];
    const { logger, lines } = recordingLogger();
    const shutdown = createShutdown({ logger, timeoutMs: 150, exit: (code) => exitCodes.push(code) });
    shutdown.register('logger', () => undefined);
    shutdown.register('stuck-query', () => new Promise<void>(() => undefined));

    const startedAt = Date.now();
    await shutdown.shutdown('test');
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1_000);
    expect(exitCodes).toHaveLength(1);
    expect(exitCodes[0]).not.toBe(0);
    const timeout = lines.find((line) => line.message.startsWith('shutdown timed out'));
    expect(timeout?.fields.component).toBe('stuck-query');
  });

  it('stops a component registered after shutdown began', async () => {
    let lateStopped = false;
    const shutdown = createShutdown({ logger: recordingLogger().logger, timeoutMs: 1_000, exit: () => undefined });
    await shutdown.shutdown('test');
    shutdown.register('late-pool', () => {
      lateStopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lateStopped).toBe(true);
  });
});

interface ChildRun {
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  waitFor(line: string): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

const running = new Set<ReturnType<typeof spawn>>();
// A failed assertion must not leave a fixture daemon behind.
afterEach(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
});

/** Runs the fixture daemon under tsx and collects its stdout lines. */
function startChild(env: Record<string, string>): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.line === line)) waiter.resolve();
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  const waitFor = (line: string): Promise<void> =>
    lines.includes(line)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiters.push({ line, resolve })),
          exit.then(() => {
            throw new Error(`child exited before printing "${line}"; stdout=${lines.join('|')} stderr=${stderr}`);
          }),
        ]);
  return { lines, exit, waitFor, kill: (signal) => child.kill(signal) };
}

describe('signal handling in a real child process', () => {
  it('exits 0 after the slow stop completes on one SIGTERM, stopping the logger last', async () => {
    const child = startChild({ STOP_DELAY_MS: '300' });
    await child.waitFor('ready:1');
    child.kill('SIGTERM');
    const { code, signal } = await child.exit;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    const stops = child.lines.filter((line) => line.startsWith('stop:'));
    expect(stops).toEqual(['stop:loop:begin', 'stop:loop:end', 'stop:logger']);
    expect(child.lines.indexOf('log:stopping component')).toBeLessThan(child.lines.indexOf('stop:loop:begin'));
  });

  it('forces exit 130 on a second SIGTERM without waiting for the slow stop', async () => {
    const child = startChild({ STOP_DELAY_MS: '30000' });
    await child.waitFor('ready:1');
    child.kill('SIGTERM');
    await child.waitFor('stop:loop:begin');
    const secondSignalAt = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await child.exit;
    expect(code).toBe(130);
    expect(at - secondSignalAt).toBeLessThan(2_000);
    expect(child.lines).not.toContain('stop:loop:end');
    expect(child.lines).toContain('log:second signal during shutdown; forcing exit');
  });
});
