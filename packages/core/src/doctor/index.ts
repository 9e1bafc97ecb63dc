export { fail, pass, skip, warn, type CheckResult, type DoctorCheck, type DoctorGate, type DoctorLine, type DoctorStatus } from './doctor-check.js';
export { runDoctor, type DoctorReport } from './run-doctor.js';
export { formatDoctorLine, formatDoctorReport, printDoctorReport } from './doctor-output.js';
export { doctorStatementsFor, type DoctorStatements } from './doctor-sql.js';
export { DOCTOR_SQL_MSSQL } from './doctor-sql.mssql.js';
export { DOCTOR_SQL_POSTGRES } from './doctor-sql.postgres.js';
export {
  compatibilityCheck,
  databaseAnswersCheck,
  existingTables,
  keyCollationsCheck,
  permissionsCheck,
  schemaChangesCheck,
  syncObjectName,
  type PermissionNeed,
} from './database-checks.js';
export { triggersCheck, type ExpectedTrigger, type TriggersCheckOptions } from './trigger-checks.js';
export { centralTargetOf, probeCentral, type CentralEnv, type CentralProbe, type CentralTarget } from './central-probe.js';
export { centralChecks, type CentralChecks, type CentralChecksOptions } from './central-checks.js';
export { CLOCK_SKEW_FAIL_MS, CLOCK_SKEW_WARN_MS, judgeClockSkew, type ClockReading } from './clock-skew.js';
export { DOCTOR_USAGE, runDaemonDoctor, type DaemonDoctorDefinition } from './doctor-command.js';
export { databaseSizeCheck } from './database-size-check.js';
