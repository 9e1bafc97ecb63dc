export { runDaemon, type DaemonContext, type DaemonDefinition, type DaemonWorker, type RunningDaemon } from './run-daemon.js';
export { centralAlertEnv, daemonEnv, logSettingsFromEnv, secretValuesFromEnv, type DaemonEnv, type LogEnv } from './daemon-env.js';
export { startWorkLoop, type CycleOutcome, type WorkLoop, type WorkLoopOptions } from './work-loop.js';
export { startProcessLifecycle, type ProcessLifecycle } from './process-lifecycle.js';
