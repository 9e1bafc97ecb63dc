import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, TransientError } from '../src/errors/index.js';
import { createLogger, type LogSettings, type SyncLogger } from '../src/logging/index.js';
import { compiledSiblingPath } from '../src/logging/transport-path.js';

const stdoutOnly: LogSettings = { level: 'info', dir: null, fileMaxSize: '10m', fileFrequency: 'daily', fileCount: 3, pretty: false };

interface LogLine {
  level: string;
  time: string;
  msg: string;
  err?: { stack: string };
  [field: string]: unknown;
}

function captureSink(): { destination: PassThrough; text: () => string; lines: () => LogLine[] } {
  const destination = new PassThrough();
  const chunks: string[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const text = () => chunks.join('');
  const lines = () => text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogLine);
  return { destination, text, lines };
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

const dirs: string[] = [];
const loggers: SyncLogger[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'goldpdv-logging-'));
  dirs.push(dir);
  return dir;
}
function track(sync: SyncLogger): SyncLogger {
  loggers.push(sync);
  return sync;
}

afterEach(async () => {
  await Promise.all(loggers.splice(0).map((sync) => sync.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('JSON lines', () => {
  it('carry level label, ISO time, service, base and child context, and err with its cause chain', () => {
    const sink = captureSink();
    const { logger } = track(createLogger('pull-service', stdoutOnly, { base: { pdvId: 'PDV-042' }, destination: sink.destination }));

    logger.child({ table: 'produtos' }).info({ rows: 12 }, 'delta page applied');
    const failure = new TransientError('pull page failed', {
      cause: new Error('socket hang up', { cause: 'ECONNRESET' }),
      context: { table: 'produtos', page: 3 },
    });
    logger.child({ eventId: 'evt-9' }).error({ err: failure }, 'cycle failed');
    logger.debug('below the level, never written');

    const [page, failed, ...rest] = sink.lines();
    expect(rest).toEqual([]);
    expect(page).toMatchObject({ level: 'info', service: 'pull-service', pdvId: 'PDV-042', table: 'produtos', rows: 12, msg: 'delta page applied' });
    expect(new Date(page!.time).toISOString()).toBe(page!.time);
    expect(failed).toMatchObject({
      level: 'error',
      service: 'pull-service',
      pdvId: 'PDV-042',
      eventId: 'evt-9',
      msg: 'cycle failed',
      err: {
        type: 'TransientError',
        kind: 'transient',
        message: 'pull page failed',
        context: { table: 'produtos', page: 3 },
        cause: { type: 'Error', message: 'socket hang up', cause: 'ECONNRESET' },
      },
    });
    expect(failed!.err?.stack).toContain('pull page failed');
  });

  it('write one stack per error line: the outer error keeps its stack, its causes their messages and fields', () => {
    const sink = captureSink();
    const { logger } = track(createLogger('pull-service', stdoutOnly, { destination: sink.destination }));
    const driver = Object.assign(new Error('Connection lost: server closed the connection'), { code: 'ECONNRESET' });
    const wrapped = new Error('query failed', { cause: driver });
    logger.error({ err: new TransientError('database unreachable', { cause: wrapped }) }, 'database unreachable; will retry');
    const text = sink.text();
    expect(text.match(/"stack":/g)).toHaveLength(1);
    expect(sink.lines()[0]).toMatchObject({ err: { message: 'database unreachable', cause: { message: 'query failed', cause: { message: 'Connection lost: server closed the connection', code: 'ECONNRESET' } } } });
  });

  it('are human-readable text when pretty is set', () => {
    const sink = captureSink();
    const { logger } = track(createLogger('push-service', { ...stdoutOnly, pretty: true }, { destination: sink.destination }));
    logger.child({ eventId: 'evt-1' }).warn('central answered 429');
    expect(sink.text()).toMatch(/^\[\d{4}-\d{2}-\d{2} [\d:.]+ [+-]\d{4}\] WARN: central answered 429 .*"eventId":"evt-1"/);
  });
});

describe('secrets', () => {
  // A quote and a backslash exercise the JSON-escaped spelling, `@`/`/` the percent-encoded one.
  const dbPassword = 'S3cr"et\\Pa55@/x';
  const apiToken = 'tok_live_9f8e7d6c5b4a';
  const connectionUrl = `mssql://sa:${encodeURIComponent(dbPassword)}@db.loja:1433/gold`;
  const unconfiguredPassword = 'hunter2-not-configured';
  const adoPassword = 'AdoPassw0rd';

  it('never reach stdout or either file, by field or inside strings', async () => {
    const dir = tempDir();
    const sink = captureSink();
    const settings: LogSettings = { ...stdoutOnly, dir };
    const sync = track(createLogger('pull-service', settings, { secrets: [dbPassword, apiToken, connectionUrl], destination: sink.destination }));
    const { logger } = sync;

    logger.info({ password: dbPassword, token: apiToken, headers: { authorization: `Bearer ${apiToken}` }, db: { password: dbPassword } }, 'config loaded');
    logger.warn(`retrying login with password ${dbPassword} and token ${apiToken}`);
    logger.info({ target: connectionUrl }, 'connecting');
    const err = new Error(`cannot connect to postgres://app:${unconfiguredPassword}@pg:5432/gold`, {
      cause: new Error(`login failed for ${connectionUrl} using Server=db;User Id=sa;Password=${adoPassword};`),
    });
    logger.error({ err }, 'connect failed');
    await sync.close();

    const stdout = sink.text();
    const jsonFiles = readStream(dir, /^pull-service\.json\.\d+\.log$/);
    const textFiles = readStream(dir, /^pull-service\.\d+\.log$/);
    for (const output of [stdout, jsonFiles, textFiles]) {
      expect(output).toContain('connect failed'); // the line itself made it
      for (const secret of [dbPassword, JSON.stringify(dbPassword).slice(1, -1), encodeURIComponent(dbPassword), apiToken, unconfiguredPassword, adoPassword]) {
        expect(occurrences(output, secret), `${secret} leaked`).toBe(0);
      }
      expect(output).toContain('[redacted]');
    }
    const configLine = sink.lines()[0]!;
    expect(configLine).toMatchObject({ password: '[redacted]', token: '[redacted]', headers: { authorization: '[redacted]' }, db: { password: '[redacted]' } });
    expect(stdout).toContain('postgres://app:[redacted]@pg:5432/gold');
  });
});

describe('close()', () => {
  it('gets the last lines into the files, is safe twice, and stays within its bound', async () => {
    const dir = tempDir();
    const sync = createLogger('push-service', { ...stdoutOnly, dir }, { destination: captureSink().destination });
    sync.logger.info('last words before shutdown');

    const started = Date.now();
    const first = sync.close();
    const second = sync.close();
    expect(second).toBe(first);
    await first;
    await sync.close();
    expect(Date.now() - started).toBeLessThan(3_500);

    expect(readStream(dir, /^push-service\.json\.\d+\.log$/)).toContain('last words before shutdown');
    expect(readStream(dir, /^push-service\.\d+\.log$/)).toContain('INFO: last words before shutdown');
    // A late line during shutdown must not throw nor crash the process through the ended worker.
    expect(() => sync.logger.error('pool error after shutdown')).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
});

describe('settings', () => {
  it('fail at start, as a ConfigError, when the files could not work', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-directory'), '');
    expect(() => createLogger('pull-service', { ...stdoutOnly, dir: join(dir, 'not-a-directory', 'logs') })).toThrow(ConfigError);
    expect(() => createLogger('pull-service', { ...stdoutOnly, dir, fileMaxSize: '10 MB' })).toThrow(/log file size/);
    expect(() => createLogger('pull-service', { ...stdoutOnly, dir, fileCount: 0 })).toThrow(/log file count/);
  });
});

describe('transport path', () => {
  it('points the worker at the compiled module when running from TypeScript sources', () => {
    const source = pathToFileURL(join(import.meta.dirname, '../src/logging/file-transport.ts')).href;
    expect(compiledSiblingPath('text-file-transport.js', source)).toBe(join(import.meta.dirname, '../dist/logging/text-file-transport.js'));
  });
});

function readStream(dir: string, pattern: RegExp): string {
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .join('');
}
