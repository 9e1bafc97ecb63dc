import { describeDriverError, driverErrorFacts } from '../db/driver-error.js';
import type { CheckResult, DoctorCheck, DoctorGate, DoctorLine } from './doctor-check.js';

export interface DoctorReport {
  lines: DoctorLine[];
  passed: number;
  warnings: number;
  failed: number;
  skipped: number;
  /** True when something found would break syncing (a fail). Warnings do not. */
  broken: boolean;
}

const GATE_CLOSED: Record<DoctorGate, string> = {
  database: 'not checked: the database does not answer',
  central: 'not checked: the central API does not answer',
};

/**
 * Runs the checks one after the other (they share one database pool and are quick). A check that throws is a
 * failed line with the error, never a crashed doctor: the rest still runs.
 */
export async function runDoctor(checks: readonly DoctorCheck[]): Promise<DoctorReport> {
  const lines: DoctorLine[] = [];
  const closed = new Set<DoctorGate>();
  for (const check of checks) {
    if (check.needs !== undefined && closed.has(check.needs)) {
      lines.push({ check: check.name, status: 'skip', detail: GATE_CLOSED[check.needs] });
      continue;
    }
    let results;
    try {
      const outcome = await check.run();
      results = Array.isArray(outcome) ? outcome : [outcome];
    } catch (error) {
      results = [failedCheck(error)];
    }
    for (const result of results) lines.push({ check: check.name, ...result });
    if (check.opens !== undefined && results.some((result) => result.status === 'fail')) closed.add(check.opens);
  }
  const count = (status: DoctorLine['status']) => lines.filter((line) => line.status === status).length;
  const failed = count('fail');
  return { lines, passed: count('pass'), warnings: count('warn'), failed, skipped: count('skip'), broken: failed > 0 };
}

/** PostgreSQL insufficient_privilege; SQL Server 229 (permission denied on an object) and 230 (on a column). */
function isPermissionDenied(error: unknown): boolean {
  const facts = driverErrorFacts(error);
  return facts.sqlState === '42501' || facts.number === 229 || facts.number === 230;
}

function failedCheck(error: unknown): CheckResult {
  if (isPermissionDenied(error)) {
    return { status: 'fail', detail: `this login may not read what the check needs (${describeDriverError(error, 300)})`, fix: 'grant what the permissions line lists' };
  }
  return { status: 'fail', detail: `the check itself failed: ${describeDriverError(error, 400)}`, fix: 'read the error; run doctor again once it is fixed' };
}
