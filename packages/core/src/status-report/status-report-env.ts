import { envInt } from '../config/env-types.js';

/** The status report both daemons send to the central API (the fleet view). */
export const statusReportEnv = {
  /** Time between two status reports to the central API (POST /v1/pdv/status); 0 sends none. */
  STATUS_REPORT_INTERVAL_MS: envInt(0, 86_400_000).default(60_000),
};
