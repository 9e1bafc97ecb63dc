import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ContractError, TransientError } from '../errors/index.js';

/**
 * An answer read line by line as it arrives (a streamed answer, application/x-ndjson): each line is handed over
 * as soon as its newline is in, while the connection stays open for the next. The answer is bounded in time as
 * a whole, and each line in size.
 */
export interface LineReader {
  /**
   * The next line, without its newline; null when the answer ended. Rejects with TransientError when the
   * connection fails, is cut off or runs past its time, with ContractError for a line over the bound, and with
   * the signal's reason when the call was aborted.
   */
  next(): Promise<string | null>;
  /**
   * From now on, fails with TransientError when no byte arrives for `ms`: for an answer whose server promises a
   * line at least that often (heartbeats), a connection that went dead without a word is found out that soon.
   */
  boundSilence(ms: number): void;
  /** Ends the answer; one not read to its end loses its connection. Safe to call twice. */
  close(): void;
}

interface LineReaderOptions {
  /** The answer's body, gzip already undone. */
  body: Readable;
  response: IncomingMessage;
  /** Destroys the request and its socket. */
  destroy(): void;
  maxLineBytes: number;
  /** When the whole answer must have ended. */
  timeoutMs: number;
  signal?: AbortSignal;
  where: Record<string, unknown>;
}

export function readLines(options: LineReaderOptions): LineReader {
  const { body, response, signal, where } = options;
  const decoder = new StringDecoder('utf8');
  const lines: string[] = [];
  /** The text of the line being received, in the pieces it came in (searched once each, joined once). */
  let partial: string[] = [];
  let partialLength = 0;
  let ended = false;
  let failure: unknown = null;
  let waiting: { resolve(line: string | null): void; reject(error: unknown): void } | null = null;

  const wake = (): void => {
    if (waiting === null) return;
    const taker = waiting;
    if (lines.length > 0) {
      waiting = null;
      taker.resolve(lines.shift()!);
    } else if (failure !== null) {
      waiting = null;
      taker.reject(failure);
    } else if (ended) {
      waiting = null;
      taker.resolve(null);
    }
  };
  let silence: NodeJS.Timeout | undefined;
  const stopListening = (): void => {
    clearTimeout(timer);
    clearTimeout(silence);
    signal?.removeEventListener('abort', onAbort);
  };
  const fail = (error: unknown): void => {
    if (failure !== null || ended) return;
    failure = signal?.aborted ? signal.reason : error;
    stopListening();
    options.destroy();
    // A Gunzip stream between the socket and here lets its zlib state go now, not at garbage collection.
    if (body !== response) body.destroy();
    wake();
  };
  const onAbort = (): void => fail(new TransientError('the request was aborted', { context: where }));
  const timer = setTimeout(() => fail(new TransientError(`the streamed answer did not end within ${options.timeoutMs} ms`, { context: where })), options.timeoutMs);

  body.on('data', (chunk: Buffer) => {
    silence?.refresh();
    let text = decoder.write(chunk);
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      partial.push(text.slice(0, newline));
      lines.push(partial.join(''));
      partial = [];
      partialLength = 0;
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    if (text !== '') {
      partial.push(text);
      partialLength += text.length;
    }
    // Counted in UTF-16 units: a bound on memory, not an exact byte count.
    if (partialLength > options.maxLineBytes) fail(new ContractError(`a line of the streamed answer is longer than ${options.maxLineBytes} bytes`, { context: where }));
    wake();
  });
  body.on('error', (error) => fail(new TransientError(`reading the streamed answer failed: ${error.message}`, { cause: error, context: where })));
  response.on('aborted', () => fail(new TransientError('the streamed answer was cut off', { context: where })));
  if (body !== response) response.on('error', (error) => fail(new TransientError(`reading the streamed answer failed: ${error.message}`, { cause: error, context: where })));
  body.on('end', () => {
    if (!response.complete) return fail(new TransientError('the streamed answer was cut off', { context: where }));
    partial.push(decoder.end());
    // A last line without its newline still counts.
    const last = partial.join('');
    if (last !== '') lines.push(last);
    partial = [];
    ended = true;
    stopListening();
    wake();
  });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  return {
    next() {
      if (lines.length > 0) return Promise.resolve(lines.shift()!);
      if (failure !== null) return Promise.reject(failure);
      if (ended) return Promise.resolve(null);
      if (waiting !== null) return Promise.reject(new Error('LineReader.next called while a call is pending'));
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    boundSilence(ms) {
      if (ended || failure !== null) return;
      clearTimeout(silence);
      silence = setTimeout(() => fail(new TransientError(`the streamed answer was silent for ${ms} ms`, { context: where })), ms);
    },
    close() {
      if (ended || failure !== null) return;
      fail(new TransientError('the streamed answer was closed', { context: where }));
    },
  };
}
