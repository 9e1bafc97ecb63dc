import { afterAll, beforeAll, expect } from 'vitest';

/**
 * Fails a test file that leaves a server, a connection, a child process or a timer behind: each of those would
 * keep a daemon alive after stop(), or hold a pool open in production just as it does here.
 *
 * - Handles (servers, sockets, child processes) are counted by kind. What is alive before the file's first hook
 *   is the baseline (the test runner's own channel among them); anything beyond it once the file's own cleanup
 *   hooks have run, and a short grace for sockets that are closing, is a leak.
 * - Timers are followed from their creation, because the runner's own timers come and go and would blur a
 *   count: a timeout or interval created by this repository's code (not by a dependency) that is still pending
 *   at the end is a leak, reported with the line that created it.
 */
const HANDLES = new Set(['TCPServerWrap', 'TCPSocketWrap', 'TLSWrap', 'PipeServerWrap', 'ProcessWrap', 'UDPWrap']);
const GRACE_MS = 2_000;
const REPO_FRAME = /(?:\(|at )((?:file:\/\/)?\/[^()\s]*\/(?:packages|pull-service|push-service|chaos)\/[^()\s]+)\)?$/;

const handles = (): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const resource of process.getActiveResourcesInfo()) if (HANDLES.has(resource)) counts.set(resource, (counts.get(resource) ?? 0) + 1);
  return counts;
};

interface TimerTracking {
  /** Pending timers created by this repository's code, with where each was created. */
  pending: Map<NodeJS.Timeout, string>;
  realSetTimeout: typeof setTimeout;
}

// Test files share a worker process (isolate: false), and this file runs again before each of them: the timer
// functions are wrapped once per process, and each file starts with an empty record.
const TRACKING = Symbol.for('goldpdv.leak-guard.timers');
const tracking: TimerTracking = ((globalThis as Record<symbol, unknown>)[TRACKING] as TimerTracking | undefined) ?? installTimerTracking();
const pendingTimers = tracking.pending;
const realSetTimeout = tracking.realSetTimeout;

function creationSite(): string | null {
  const stack = new Error().stack?.split('\n').slice(3) ?? [];
  for (const frame of stack) {
    if (frame.includes('test-support/leak-guard') || frame.includes('node_modules')) continue;
    const match = REPO_FRAME.exec(frame.trim());
    if (match) return match[1]!;
  }
  return null;
}

function installTimerTracking(): TimerTracking {
  const pending = new Map<NodeJS.Timeout, string>();
  const realSetTimeout = globalThis.setTimeout;
  const realSetInterval = globalThis.setInterval;
  const realClearTimeout = globalThis.clearTimeout;
  const realClearInterval = globalThis.clearInterval;

  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const site = creationSite();
    const timer: NodeJS.Timeout = realSetTimeout(
      (...callArgs: unknown[]) => {
        pending.delete(timer);
        callback(...callArgs);
      },
      ms,
      ...args,
    );
    if (site !== null) pending.set(timer, `setTimeout(${ms ?? 0} ms) at ${site}`);
    return timer;
  }) as typeof setTimeout;

  globalThis.setInterval = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const site = creationSite();
    const timer = realSetInterval(callback, ms, ...args);
    if (site !== null) pending.set(timer, `setInterval(${ms ?? 0} ms) at ${site}`);
    return timer;
  }) as typeof setInterval;

  globalThis.clearTimeout = ((timer?: NodeJS.Timeout | string | number) => {
    if (timer !== undefined) pending.delete(timer as NodeJS.Timeout);
    realClearTimeout(timer as NodeJS.Timeout);
  }) as typeof clearTimeout;

  globalThis.clearInterval = ((timer?: NodeJS.Timeout | string | number) => {
    if (timer !== undefined) pending.delete(timer as NodeJS.Timeout);
    realClearInterval(timer as NodeJS.Timeout);
  }) as typeof clearInterval;

  const installed: TimerTracking = { pending, realSetTimeout };
  (globalThis as Record<symbol, unknown>)[TRACKING] = installed;
  return installed;
}

const leftOpen = (baseline: Map<string, number>): string[] => [
  ...[...handles()].filter(([name, count]) => count > (baseline.get(name) ?? 0)).map(([name, count]) => `${name} ×${count - (baseline.get(name) ?? 0)}`),
  ...pendingTimers.values(),
];

let baseline = new Map<string, number>();
beforeAll(() => {
  baseline = handles();
  pendingTimers.clear();
});

// Registered before the file's own hooks, so (hooks run as a stack) it runs after all of them.
afterAll(async () => {
  const deadline = Date.now() + GRACE_MS;
  let left = leftOpen(baseline);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => realSetTimeout(resolve, 50));
    left = leftOpen(baseline);
  }
  expect(left, 'the test file left these open after its cleanup (close pools, servers, timers and child processes in afterAll/afterEach)').toEqual([]);
});
