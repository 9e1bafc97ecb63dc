import type { PdvProgress } from './progress.js';
import type { CheckResult } from './verify.js';

export interface SummaryInput {
  out: (line: string) => void;
  checks: readonly CheckResult[];
  progress: readonly PdvProgress[];
  peaks: readonly (readonly [string, number | null])[];
  firstRowAt: number;
  convergedAt: number | null;
  catalogRounds: number;
  workDir: string;
}

const pad = (text: string, width: number) => text.padEnd(width);

/** The closing table: figures per PDV, memory per process, and every check with its verdict. */
export function printSummary(input: SummaryInput): void {
  const { out } = input;
  out('== summary ==');
  out(`${pad('PDV', 16)}${pad('rows pulled', 14)}${pad('events pushed', 15)}${pad('pending', 9)}dead letters`);
  for (const p of input.progress) out(`${pad(p.pdvId, 16)}${pad(String(p.rowsPulled), 14)}${pad(String(p.eventsPushed), 15)}${pad(String(p.eventsPending), 9)}${p.deadLetters}`);
  out('');
  out(`first synced row after ${input.firstRowAt.toFixed(1)} s; converged at ${input.convergedAt === null ? 'never' : `${input.convergedAt.toFixed(1)} s`}; ${input.catalogRounds} rounds of catalog edits`);
  const known = input.peaks.filter((entry): entry is readonly [string, number] => entry[1] !== null);
  // maxRSS is the peak of this process, which hosts the embedded databases.
  const own = process.resourceUsage().maxRSS / 1024;
  out(`peak memory (RSS): ${known.map(([name, mb]) => `${name} ${mb.toFixed(0)} MB`).join(', ')}; demo process with the embedded databases ${own.toFixed(0)} MB`);
  out('');
  for (const check of input.checks) out(`${check.ok ? 'PASS' : 'FAIL'}  ${pad(check.name, 30)}${check.detail}`);
  const failed = input.checks.filter((c) => !c.ok).length;
  out('');
  out(failed === 0 ? 'RESULT: every PDV equals the central catalog and every sale arrived exactly once.' : `RESULT: ${failed} check(s) failed; logs in ${input.workDir}/logs`);
}
