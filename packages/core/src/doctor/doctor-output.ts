import type { DoctorLine } from './doctor-check.js';
import type { DoctorReport } from './run-doctor.js';

const LABEL: Record<DoctorLine['status'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };

/** One line per result: status, check (and subject), what was found, and the fix. */
export function formatDoctorLine(line: DoctorLine): string {
  const name = line.subject === undefined ? line.check : `${line.check} (${line.subject})`;
  const fix = line.fix === undefined || line.status === 'pass' ? '' : ` Fix: ${line.fix}`;
  return `${LABEL[line.status]}  ${name}: ${line.detail}${fix}`;
}

export function formatDoctorReport(program: string, report: DoctorReport): string {
  const summary = `${program} doctor: ${report.passed} passed, ${report.warnings} warning(s), ${report.failed} failed, ${report.skipped} skipped${
    report.broken ? ': syncing would break, fix the FAIL lines first' : report.warnings > 0 ? ': nothing breaks syncing; read the WARN lines' : ': ready'
  }`;
  return `${[...report.lines.map(formatDoctorLine), summary].join('\n')}\n`;
}

/** Prints the report (human lines, or JSON) and returns the exit code: 1 when syncing would break, else 0. */
export function printDoctorReport(program: string, report: DoctorReport, json: boolean): number {
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(program, report));
  return report.broken ? 1 : 0;
}
