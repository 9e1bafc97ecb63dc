/** Anything a finished log line can be written to: stdout, a test sink, the file transport. */
export interface LineSink {
  write(line: string): unknown;
  /** Resolves once what was written has left this process's buffers (absent = written synchronously). */
  flush?(done: (err?: Error | null) => void): void;
}

/**
 * One pino destination that copies each line to several sinks.
 *
 * pino.multistream would do the copying, but it has no asynchronous `flush(cb)`, so `logger.flush(cb)`
 * would return before the file worker had the lines. All sinks share the logger's level, so
 * multistream's per-stream levels are not needed either.
 */
export function fanOutLines(sinks: readonly LineSink[]): Required<LineSink> {
  return {
    write(line: string): boolean {
      for (const sink of sinks) sink.write(line);
      return true;
    },
    flush(done: (err?: Error | null) => void): void {
      let pending = sinks.length;
      let firstError: Error | null = null;
      const settle = (err?: Error | null): void => {
        firstError ??= err ?? null;
        if (--pending === 0) done(firstError);
      };
      if (pending === 0) {
        done(null);
        return;
      }
      for (const sink of sinks) {
        if (sink.flush) sink.flush(settle);
        else settle(null);
      }
    },
  };
}
