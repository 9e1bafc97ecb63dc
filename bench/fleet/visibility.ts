import type { StampedCommit } from './catalog.js';

/** A commit not seen by a PDV within this long after it was acknowledged counts as missed. */
export const MISSED_AFTER_MS = 10_000;

export interface VisibilityFigures {
  commits: number;
  /** (commit, PDV) pairs that should have been seen. */
  expected: number;
  seen: number;
  missed: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /**
   * The slowest sighting of each commit seen at all (its last PDV), from the smallest: a p99 over every pair is
   * set by the slowest commits' tails, so their spread tells a slow commit from a slow fleet.
   */
  commitMaxMs: number[];
  /** The same in commit order, each with its kind: p for a product (every PDV), l for a loja's price. */
  commitMaxInOrder: string[];
  /**
   * Each commit's first sighting, in commit order: how long central took to learn of the commit and answer its
   * first PDV. The rest of a commit's spread (up to its slowest) is the fan-out to the others.
   */
  commitFirstInOrder: string[];
}

/** When each PDV first saw each commit's row, from the workers' reports. */
export class Sightings {
  private readonly firstSeen = new Map<number, Float64Array>();

  constructor(private readonly pdvCount: number) {}

  add(data: readonly number[]): void {
    for (let index = 0; index + 2 < data.length; index += 3) {
      const commitId = data[index]!;
      const pdvIndex = data[index + 1]!;
      const at = data[index + 2]!;
      if (pdvIndex < 0 || pdvIndex >= this.pdvCount) continue;
      let seen = this.firstSeen.get(commitId);
      if (seen === undefined) this.firstSeen.set(commitId, (seen = new Float64Array(this.pdvCount)));
      if (seen[pdvIndex] === 0 || at < seen[pdvIndex]!) seen[pdvIndex] = at;
    }
  }

  /**
   * Commit to visible, per commit and per PDV that should see it: every PDV for a product, the loja's PDVs for a
   * price. A pair never seen, or seen later than MISSED_AFTER_MS, is missed and left out of the percentiles.
   */
  figures(commits: readonly StampedCommit[], lojaOf: (pdvIndex: number) => number): VisibilityFigures {
    const latencies: number[] = [];
    const commitMaxMs: number[] = [];
    const commitMaxInOrder: string[] = [];
    const commitFirstInOrder: string[] = [];
    let expected = 0;
    let missed = 0;
    for (const commit of commits) {
      const seen = this.firstSeen.get(commit.id);
      let slowest = -1;
      let first = Infinity;
      for (let pdv = 0; pdv < this.pdvCount; pdv += 1) {
        if (commit.lojaId !== null && lojaOf(pdv) !== commit.lojaId) continue;
        expected += 1;
        const at = seen?.[pdv] ?? 0;
        const latency = at - commit.committedAt;
        if (at === 0 || latency > MISSED_AFTER_MS) missed += 1;
        else {
          latencies.push(Math.max(0, latency));
          slowest = Math.max(slowest, latency);
          first = Math.min(first, latency);
        }
      }
      if (slowest >= 0) commitMaxMs.push(Math.round(slowest));
      const kind = commit.lojaId === null ? 'p' : 'l';
      commitMaxInOrder.push(`${kind}${slowest >= 0 ? Math.round(slowest) : '-'}`);
      commitFirstInOrder.push(`${kind}${first < Infinity ? Math.round(Math.max(0, first)) : '-'}`);
    }
    commitMaxMs.sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);
    const at = (share: number): number | null => (latencies.length === 0 ? null : latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))]!);
    return { commits: commits.length, expected, seen: latencies.length, missed, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies.at(-1) ?? null, commitMaxMs, commitMaxInOrder, commitFirstInOrder };
  }
}
