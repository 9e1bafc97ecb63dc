import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogSettings } from '../src/logging/index.js';

// pino-roll 4 inserts a number before the last extension of the configured names
// `<service>.json.log` and `<service>.log`.
const JSON_FILE = /^pull-service\.json\.(\d+)\.log$/;
const TEXT_FILE = /^pull-service\.(\d+)\.log$/;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'goldpdv-logging-rotation-'));
  dirs.push(dir);
  return dir;
}

function numbersOf(dir: string, pattern: RegExp): number[] {
  return readdirSync(dir)
    .map((name) => pattern.exec(name)?.[1])
    .filter((number): number is string => number !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

const settingsFor = (dir: string): LogSettings => ({
  level: 'debug',
  dir,
  fileMaxSize: '1k', // pino-roll units: k, m, g (a bare number is MB)
  fileFrequency: 'daily',
  fileCount: 2,
  pretty: false,
});

describe('rotating files', () => {
  it('rotate by size and keep fileCount rotated files plus the active one per stream', async () => {
    const dir = tempDir();
    const sync = createLogger('pull-service', settingsFor(dir), { destination: new PassThrough() });
    // pino-roll checks the size after each write of its stream, and the worker coalesces whatever
    // is pending into one write; flushing between batches gives it many writes to rotate on.
    for (let batch = 0; batch < 30; batch++) {
      for (let line = 0; line < 5; line++) {
        sync.logger.child({ table: 'produtos' }).debug({ batch, line }, `batch ${batch} line ${line} applied to the local database`);
      }
      await sync.flush();
    }
    // pino-roll deletes the oldest file asynchronously after switching files, with no event the
    // parent can see; give that last unlink a moment before the worker is ended.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sync.close();

    const jsonNumbers = numbersOf(dir, JSON_FILE);
    const textNumbers = numbersOf(dir, TEXT_FILE);
    // limit.count = 2 means 2 rotated files in addition to the one being written.
    expect(jsonNumbers).toHaveLength(3);
    expect(textNumbers).toHaveLength(3);
    // Files 1, 2, ... were created and pruned along the way: many rotations happened.
    expect(jsonNumbers[0]).toBeGreaterThan(3);
    expect(textNumbers[0]).toBeGreaterThan(3);
    // Numbers are consecutive within a run.
    expect(jsonNumbers).toEqual([jsonNumbers[0]!, jsonNumbers[0]! + 1, jsonNumbers[0]! + 2]);

    const newestRotatedJson = readFileSync(join(dir, `pull-service.json.${jsonNumbers[1]}.log`), 'utf8');
    const firstJsonLine = JSON.parse(newestRotatedJson.split('\n')[0]!) as Record<string, unknown>;
    expect(firstJsonLine).toMatchObject({ level: 'debug', service: 'pull-service', table: 'produtos' });

    const text = readFileSync(join(dir, `pull-service.${textNumbers[1]}.log`), 'utf8');
    const firstTextLine = text.split('\n')[0]!;
    expect(() => JSON.parse(firstTextLine)).toThrow();
    expect(firstTextLine).toMatch(/^\[\d{4}-\d{2}-\d{2} [\d:.]+ [+-]\d{4}\] DEBUG: batch \d+ line \d+ applied to the local database /);
    expect(firstTextLine).toContain('"table":"produtos"');

    // Stable names that follow the rotation: each points at its stream's newest file.
    expect(readlinkSync(join(dir, 'pull-service.json.current.log'))).toBe(`pull-service.json.${jsonNumbers.at(-1)}.log`);
    expect(readlinkSync(join(dir, 'pull-service.current.log'))).toBe(`pull-service.${textNumbers.at(-1)}.log`);
    expect(statSync(join(dir, 'pull-service.json.current.log')).isFile()).toBe(true);
  });

  it('prune what earlier runs left beyond fileCount, newest kept, other files untouched', async () => {
    const dir = tempDir();
    const leftovers = [1, 2, 3, 4, 5].flatMap((n) => [`pull-service.${n}.log`, `pull-service.json.${n}.log`]);
    const unrelated = ['push-service.1.log', 'push-service.json.1.log', 'notes.txt'];
    for (const name of [...leftovers, ...unrelated]) writeFileSync(join(dir, name), 'earlier run\n');
    // Older runs wrote lower numbers; modification times say which files are the newest.
    for (const name of leftovers) {
      const number = Number(/\.(\d+)\.log$/.exec(name)![1]);
      const when = new Date(Date.now() - (10 - number) * 60_000);
      utimesSync(join(dir, name), when, when);
    }

    const sync = createLogger('pull-service', settingsFor(dir), { destination: new PassThrough() });
    sync.logger.info('new run started');
    await sync.close();

    const names = readdirSync(dir);
    for (const name of unrelated) expect(names).toContain(name);
    // 1 to 3 are gone; 4 and 5 are kept and pino-roll continues from 5, the highest number it finds.
    expect(numbersOf(dir, TEXT_FILE)).toEqual([4, 5]);
    expect(numbersOf(dir, JSON_FILE)).toEqual([4, 5]);
    expect(readFileSync(join(dir, 'pull-service.5.log'), 'utf8')).toMatch(/^earlier run\n\[.*\] INFO: new run started/);
  });
});
