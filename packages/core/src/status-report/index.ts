export * from './pdv-status-contract.js';
export { buildStatusReport, packageVersion, startStatusReporter, type StatusReporter, type StatusReporterOptions } from './status-reporter.js';
export { statusReportEnv } from './status-report-env.js';
