import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of utime and stime in /proc/<pid>/stat (USER_HZ): 100 on every usual Linux build. */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcessReading {
  /** CPU time used so far, user + system, in seconds. */
  cpuSeconds: number;
  rssMb: number;
}

/** One reading of a process from /proc: its CPU time and its resident memory (VmRSS). */
export function readProcess(pid: number): ProcessReading {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: the fixed fields start after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 after pid and comm.
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssMb: rssKb / 1024 };
}

export interface IdleFigures {
  name: string;
  pid: number;
  /** Share of one core over the window, in percent. */
  cpuPct: number;
  /** VmRSS at the end of the window. */
  rssMb: number;
  /** The highest VmRSS seen in the once-a-second samples of the window. */
  rssMaxMb: number;
}

/**
 * Watches the given processes for `seconds`: CPU from the difference of utime + stime between the ends of the
 * window, RSS sampled once a second (its end value and its maximum).
 */
export async function measureIdle(processes: readonly { name: string; pid: number }[], seconds: number): Promise<IdleFigures[]> {
  const first = processes.map(({ pid }) => readProcess(pid));
  const started = performance.now();
  const maxRss = first.map((reading) => reading.rssMb);
  const deadline = started + seconds * 1_000;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, deadline - performance.now())));
    processes.forEach(({ pid }, index) => (maxRss[index] = Math.max(maxRss[index]!, readProcess(pid).rssMb)));
  }
  const elapsed = (performance.now() - started) / 1_000;
  return processes.map(({ name, pid }, index) => {
    const last = readProcess(pid);
    return {
      name,
      pid,
      cpuPct: ((last.cpuSeconds - first[index]!.cpuSeconds) / elapsed) * 100,
      rssMb: last.rssMb,
      rssMaxMb: Math.max(maxRss[index]!, last.rssMb),
    };
  });
}
