/**
 * One check of `doctor`: a small function that looks at one thing (the database answers, the token is accepted...)
 * and says pass, warn or fail, with the fix. Each side's doctor composes the checks that matter to it.
 */
export type DoctorStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  status: DoctorStatus;
  /** What was found, in one sentence. */
  detail: string;
  /** What to do about it (warn and fail). */
  fix?: string;
  /** What this line is about when a check reports several (a table, a permission): shown after the check's name. */
  subject?: string;
}

/** What a check needs before it can say anything: the database answering, or the central API answering. */
export type DoctorGate = 'database' | 'central';

export interface DoctorCheck {
  name: string;
  /** Skipped (not failed again) once the gate's own check failed. */
  needs?: DoctorGate;
  /** This check's failure closes the gate for the checks after it. */
  opens?: DoctorGate;
  run(): Promise<CheckResult | CheckResult[]>;
}

export interface DoctorLine extends CheckResult {
  check: string;
}

export const pass = (detail: string, subject?: string): CheckResult => ({ status: 'pass', detail, subject });
export const warn = (detail: string, fix: string, subject?: string): CheckResult => ({ status: 'warn', detail, fix, subject });
export const fail = (detail: string, fix: string, subject?: string): CheckResult => ({ status: 'fail', detail, fix, subject });
export const skip = (detail: string, subject?: string): CheckResult => ({ status: 'skip', detail, subject });
