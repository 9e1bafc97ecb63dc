/**
 * pino transport (runs in a worker thread, loaded from its compiled .js by absolute path):
 * pretty-printed text into a pino-roll rotating file.
 *
 * pino-roll is only a destination and pino-pretty only a formatter; pino's transport options cannot
 * chain a destination behind a formatter, so this module wires pino-pretty's transport to the
 * pino-roll stream. Ending the transport ends the pino-roll stream, which flushes to disk before
 * pino-pretty reports the transport closed.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { build } from 'pino-pretty';
import { TEXT_FORMAT } from './text-format.js';

/** The pino-roll options this module forwards untouched (see file-transport.ts). */
export interface TextFileTransportOptions {
  file: string;
  size: string;
  frequency: 'daily' | 'hourly' | number;
  mkdir: boolean;
  limit: { count: number };
}

// pino-roll ships no type declarations; this is the part of its API used here.
type PinoRoll = (options: TextFileTransportOptions) => Promise<Writable>;
const pinoRoll = createRequire(import.meta.url)('pino-roll') as PinoRoll;

export default async function textFileTransport(options: TextFileTransportOptions): Promise<Writable> {
  const rollingFile = await pinoRoll(options);
  return build({ ...TEXT_FORMAT, destination: rollingFile });
}
