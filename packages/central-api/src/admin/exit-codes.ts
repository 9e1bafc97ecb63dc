/** The exit codes of every admin command (the same as push-service's CLI). */
export const EXIT = {
  ok: 0,
  /** Refused as asked (unknown PDV, duplicate id...), or doctor found something that breaks syncing. One line says why. */
  refused: 1,
  /** A bad configuration value, or a database this program cannot run on. */
  config: 2,
  /** The command line itself is wrong. */
  usage: 64,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The end of an admin command that failed: a refusal it can name (`line`) is one line on stderr and exit
 * "refused"; anything else is thrown on, to the CLI's own handler.
 */
export function refused(program: string, line: string | null, error: unknown): ExitCode {
  if (line === null) throw error;
  process.stderr.write(`${program}: ${line}\n`);
  return EXIT.refused;
}
