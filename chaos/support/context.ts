import type { SpawnedDaemon } from '../../packages/core/test/support/spawn-daemon.js';

/** A figure in a scenario's table: counts, durations in seconds, yes/no facts, or a short text. */
export type Figure = number | boolean | string;

export interface ScenarioResult {
  name: string;
  passed: boolean;
  /** Why the scenario failed, one line per broken promise; empty when it passed. */
  failures: string[];
  figures: Record<string, Figure>;
  seconds: number;
}

/**
 * What every scenario shares: the run mode, the PostgreSQL server, and the output of every child process, so
 * that the security scenario can search every captured log line for the configured secrets.
 */
export class ChaosContext {
  readonly children: { name: string; daemon: SpawnedDaemon }[] = [];
  readonly secrets = new Set<string>();

  constructor(
    readonly quick: boolean,
    readonly pgUrl: string,
    private readonly note: (line: string) => void,
  ) {}

  /** Registers a child so that its stdout and stderr take part in the secret scan. */
  track(name: string, daemon: SpawnedDaemon): SpawnedDaemon {
    this.children.push({ name, daemon });
    return daemon;
  }

  secret(value: string): string {
    this.secrets.add(value);
    return value;
  }

  progress(line: string): void {
    this.note(line);
  }
}

/** Collects the figures and the broken promises of one scenario. */
export class Outcome {
  readonly figures: Record<string, Figure> = {};
  readonly failures: string[] = [];

  set(name: string, value: Figure): void {
    this.figures[name] = value;
  }

  /** Records a figure that must hold; a false condition fails the scenario with the given reason. */
  expect(condition: boolean, reason: string): void {
    if (!condition) this.failures.push(reason);
  }
}
