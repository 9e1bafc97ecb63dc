/**
 * mulberry32: a tiny generator of floats in [0, 1), the same sequence for the same seed everywhere.
 * It lives apart from seeded-random.ts, which hooks into vitest, because the chaos runner (plain tsx,
 * no vitest) shares the malformed-request corpus that uses it.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
