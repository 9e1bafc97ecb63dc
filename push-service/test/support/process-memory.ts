import { readFile } from 'node:fs/promises';

/** Peak resident set size (VmHWM) of a live process, in MB, from /proc (Linux). */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
