import { createRequire } from 'node:module';
import pino from 'pino';
import type { LineSink } from './line-fan-out.js';
import { TEXT_FORMAT } from './text-format.js';

/**
 * Where `docker logs` reads from. Written synchronously, so the lines logged just before a crash
 * or `process.exit` are not lost in a buffer; the volume of a sync daemon makes the cost irrelevant.
 * `destination` replaces stdout (tests, embedding) and stays owned by the caller: it is never ended.
 */
export function createStdoutSink(pretty: boolean, destination?: NodeJS.WritableStream): LineSink {
  const target: LineSink = destination ?? pino.destination({ dest: 1, sync: true });
  if (!pretty) return target;

  // Formatting in this thread rather than in a pino-pretty transport keeps stdout synchronous too.
  // Colours only on a real terminal; a custom destination gets plain text.
  // Required here, not imported above: pino-pretty adds about 8 MB to every process that logs JSON (the default).
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({ ...TEXT_FORMAT, colorize: destination === undefined && Boolean(process.stdout.isTTY) });
  const prettySink: LineSink = { write: (line: string) => target.write(prettify(line)) };
  if (target.flush) prettySink.flush = target.flush.bind(target);
  return prettySink;
}
