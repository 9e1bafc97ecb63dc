import type { PrettyOptions } from 'pino-pretty';

/**
 * How a line reads in the text file and in developer stdout: one line per entry with the context
 * as JSON at its end, so `grep eventId` finds it. Local time with its offset, because the store
 * team reading the file thinks in local time, and the offset keeps it unambiguous against the JSON.
 */
export const TEXT_FORMAT: PrettyOptions = {
  colorize: false,
  translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
  ignore: 'pid,hostname',
  singleLine: true,
};
