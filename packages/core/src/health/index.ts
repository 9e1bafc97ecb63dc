export {
  HealthState,
  type ComponentStatus,
  type DegradedStatus,
  type HealthInfoValue,
  type HealthStateOptions,
  type LivenessReport,
  type LoopStatus,
  type ReadinessReport,
} from './health-state.js';
export { startHealthServer, type HealthServer, type HealthServerOptions, type MetricsPayload } from './health-server.js';
export { runHealthcheck } from './healthcheck-cli.js';
export { CENTRAL_STATES, CentralAvailability, type CentralAvailabilityOptions, type CentralState } from './central-availability.js';
