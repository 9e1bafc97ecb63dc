/**
 * Entry point for Docker's HEALTHCHECK: `node dist/health/healthcheck-main.js`. Exits 0 when the daemon is
 * ready, 1 otherwise. It imports nothing but the checker, so the probe does not load pino, drivers or zod.
 *
 * HEALTH_URL overrides the whole URL; otherwise HEALTH_PORT (default 8080) on 127.0.0.1 is probed.
 */
import { runHealthcheck } from './healthcheck-cli.js';

// Below Docker's default HEALTHCHECK timeout (30 s) but long enough for a busy single-core terminal.
const HEALTHCHECK_TIMEOUT_MS = 5_000;

// `||`, not `??`: an empty `HEALTH_PORT=` line in .env means "the default", as it does for every other variable.
const url = process.env.HEALTH_URL || `http://127.0.0.1:${process.env.HEALTH_PORT || 8080}/health/ready`;
process.exit(await runHealthcheck(url, HEALTHCHECK_TIMEOUT_MS));
