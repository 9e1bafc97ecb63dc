import { readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listRotatedFiles, type LogStream } from './rotated-files.js';

/** How often the links follow a rotation: a `tail -F` on them is at most this late after one. */
const FOLLOW_EVERY_MS = 5_000;

/** `<service>.json.current.log` and `<service>.current.log`: stable names for the files being written now. */
export function currentLinkName(service: string, stream: LogStream): string {
  return stream === 'json' ? `${service}.json.current.log` : `${service}.current.log`;
}

/**
 * pino-roll numbers its files (`pull-service.json.7.log`) and moves on to a new number at each rotation, so
 * there is no fixed name to `tail -F` or to point a log shipper at. These symbolic links are that name: each
 * points at its stream's newest file, and follows it after a rotation. pino-roll's own `symlink` option would
 * write one `current.log` for every stream and service sharing the folder.
 */
export function keepCurrentLinks(dir: string, service: string): { refresh(): void; stop(): void } {
  const refresh = () => {
    for (const stream of ['json', 'text'] as const) {
      const newest = listRotatedFiles(dir, service, stream)[0];
      if (!newest) continue;
      const link = join(dir, currentLinkName(service, stream));
      const target = basename(newest.path);
      try {
        if (readlinkSync(link) === target) continue;
      } catch {
        // no link yet
      }
      // Made under a temporary name and renamed over the old one, so a reader never finds no link at all.
      const temporary = `${link}.${process.pid}.tmp`;
      try {
        rmSync(temporary, { force: true });
        symlinkSync(target, temporary);
        renameSync(temporary, link);
      } catch {
        // A read-only or vanished folder: the files are still written; only the convenience link is missing.
      }
    }
  };
  refresh();
  const timer = setInterval(refresh, FOLLOW_EVERY_MS);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}
