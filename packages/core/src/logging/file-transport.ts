import { createRequire } from 'node:module';
import pino from 'pino';
import { ConfigError } from '../errors/index.js';
import type { LineSink } from './line-fan-out.js';
import { keepCurrentLinks } from './current-log-links.js';
import { configuredFileName, pruneEarlierRuns } from './rotated-files.js';
import type { LogSettings } from './settings.js';
import type { TextFileTransportOptions } from './text-file-transport.js';
import { compiledSiblingPath } from './transport-path.js';

/** The rotating JSON and text files of one service, written by a pino transport worker thread. */
export interface FileTransport {
  sink: LineSink;
  /** Ends the worker once it has written everything to disk; gives up after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

// Members thread-stream has at runtime but leaves out of its type declarations.
type TransportStream = ReturnType<typeof pino.transport> & { readonly closed: boolean; ref(): void; unref(): void };

export function startFileTransport(service: string, settings: LogSettings & { dir: string }): FileTransport {
  try {
    pruneEarlierRuns(settings.dir, service, settings.fileCount);
  } catch (cause) {
    // Found now, at start, rather than as a worker error after the daemon is already running.
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError('LogSettings.dir', `log directory ${settings.dir} is not usable: ${reason}`, { cause });
  }

  const rollOptions = (file: string): TextFileTransportOptions => ({
    file,
    size: settings.fileMaxSize,
    frequency: settings.fileFrequency,
    mkdir: true,
    limit: { count: settings.fileCount },
  });
  // Resolved here, by absolute path, so the worker does not depend on pino guessing the caller's
  // location from a stack trace (which differs between dist and vitest's transformed sources).
  const pinoRollPath = createRequire(import.meta.url).resolve('pino-roll');
  const transport = pino.transport({
    targets: [
      // Without an explicit level a target only receives info and above, whatever the logger's level.
      { target: pinoRollPath, level: settings.level, options: rollOptions(configuredFileName(settings.dir, service, 'json')) },
      {
        target: compiledSiblingPath('text-file-transport.js', import.meta.url),
        level: settings.level,
        options: rollOptions(configuredFileName(settings.dir, service, 'text')),
      },
    ],
  }) as TransportStream;

  // A worker that failed (unwritable directory, disk full) must not take the daemon down with an
  // unhandled 'error' event: stdout still carries every line. Report once and stop feeding it.
  let accepting = true;
  transport.on('error', (err: Error) => {
    if (accepting) process.stderr.write(`log files disabled: ${err.message}\n`);
    accepting = false;
  });

  // The first files appear with the first lines; the links follow them from then on.
  const links = keepCurrentLinks(settings.dir, service);

  const sink: LineSink = {
    // After close() a late line (a pool error during shutdown) would make the worker emit an error.
    write: (line: string) => (accepting ? transport.write(line) : true),
    flush(done) {
      if (!accepting) return done(null);
      // Calls back once the worker has taken every line; reaching the disk is close()'s guarantee.
      transport.flush((err?: Error | null) => done(err ?? null));
    },
  };

  async function close(timeoutMs: number): Promise<void> {
    accepting = false;
    links.stop();
    if (transport.closed) return;
    // Not events.once: it rejects on 'error', and a worker failing while ending still emits 'close'.
    const closed = new Promise<true>((resolve) => transport.once('close', () => resolve(true)));
    // pino unrefs the worker once it is ready; with nothing else pending the process would exit
    // before the last lines reach the disk, so it is held until 'close' or the deadline.
    transport.ref();
    // end() hands the remaining lines over; the worker then ends both pino-roll streams, which
    // write their buffers to disk, and exits: 'close' means every line is in a file.
    transport.end();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, false);
    });
    const inTime = await Promise.race([closed, deadline]);
    clearTimeout(timer);
    links.refresh();
    if (!inTime) {
      process.stderr.write(`log files: transport did not close within ${timeoutMs} ms, some lines may be missing\n`);
      // A stuck worker must not keep the process alive past its shutdown deadline.
      transport.unref();
    }
  }

  return { sink, close };
}
