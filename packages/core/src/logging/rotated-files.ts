import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The two file streams of a service and the names pino-roll 4 really gives them.
 *
 * pino-roll splits the configured name at its last dot and inserts a number before the extension:
 *
 *   configured `<dir>/<service>.json.log`  ->  `<service>.json.1.log`, `<service>.json.2.log`, ...
 *   configured `<dir>/<service>.log`       ->  `<service>.1.log`, `<service>.2.log`, ...
 *
 * At start it continues from the highest trailing number of *any* `*.log` file in the directory
 * created since the current period (day, hour, or numeric interval) began, judged by birth time, so
 * both streams and other services sharing the directory feed one counter and gaps are normal. On a
 * file system without birth times no file qualifies and numbering restarts at 1. A file with the
 * picked number that already exists is appended to.
 */
export type LogStream = 'json' | 'text';

export function configuredFileName(dir: string, service: string, stream: LogStream): string {
  return join(dir, stream === 'json' ? `${service}.json.log` : `${service}.log`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches the rotated files of one stream only: `pull.7.log` is text, `pull.json.7.log` is JSON. */
export function rotatedFilePattern(service: string, stream: LogStream): RegExp {
  const base = escapeRegExp(stream === 'json' ? `${service}.json` : service);
  return new RegExp(`^${base}\\.(\\d+)\\.log$`);
}

interface RotatedFile {
  path: string;
  number: number;
  modifiedMs: number;
}

export function listRotatedFiles(dir: string, service: string, stream: LogStream): RotatedFile[] {
  const pattern = rotatedFilePattern(service, stream);
  const files: RotatedFile[] = [];
  for (const name of readdirSync(dir)) {
    const match = pattern.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    // Absent when another process sharing the directory deleted it since readdir.
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats) files.push({ path, number: Number(match[1]), modifiedMs: stats.mtimeMs });
  }
  return files.sort((a, b) => b.modifiedMs - a.modifiedMs || b.number - a.number);
}

/**
 * Deletes what earlier runs left beyond the newest `keep` files of each stream.
 *
 * pino-roll's `limit.count` only prunes files created by the running process. Its
 * `removeOtherLogFiles` mode would reach older files, but it orders them by number, and after the
 * counter restarts (new day, see above) it would delete the newest files, the active one included.
 * A terminal restarted every night would otherwise fill its disk, so the leftovers are pruned here,
 * newest by modification time kept. While a process runs, a stream therefore holds at most
 * `keep` leftovers plus pino-roll's `count + 1` files of its own.
 */
export function pruneEarlierRuns(dir: string, service: string, keep: number): void {
  mkdirSync(dir, { recursive: true });
  for (const stream of ['json', 'text'] as const) {
    for (const file of listRotatedFiles(dir, service, stream).slice(keep)) {
      try {
        unlinkSync(file.path);
      } catch {
        // Another process sharing the directory may have removed it first; nothing left to do.
      }
    }
  }
}
