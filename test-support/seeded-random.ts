import { onTestFailed } from 'vitest';
import { mulberry32 } from './mulberry32.js';

export { mulberry32 };

/**
 * A seeded random generator for tests (mulberry32), so that a failure can be replayed: the seed is printed
 * when the test fails, and TEST_SEED=<seed> runs the same sequence again. Without TEST_SEED the seed is the
 * fixed default the test gives, so a run is the same on every machine unless asked otherwise.
 */
export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  below(n: number): number;
  /** A float in [min, max). */
  between(min: number, max: number): number;
}

/** The seed a test runs with: TEST_SEED when it is set, else the test's own default. */
export function testSeed(defaultSeed: number): number {
  const fromEnv = process.env.TEST_SEED;
  return fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) >>> 0 : defaultSeed >>> 0;
}

export function seededRandom(defaultSeed: number): SeededRandom {
  const seed = testSeed(defaultSeed);
  try {
    onTestFailed(() => {
      process.stderr.write(`random inputs of this test came from seed ${seed}: replay with TEST_SEED=${seed}\n`);
    });
  } catch {
    // Called outside a running test (at collection time): the seed is still fixed and replayable.
  }
  const next = mulberry32(seed);
  return { seed, next, below: (n) => Math.floor(next() * n), between: (min, max) => min + next() * (max - min) };
}
