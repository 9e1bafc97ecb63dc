import type { Logger } from './logger.js';
import type { HealthState } from '@goldpdv/core';

/**
 * Whether the central API is serving us. An unreachable VPS is "degraded" in health, never a failure: the PDV
 * keeps selling on its local data and restarting the container would not help. Logged on changes only.
 */
export class CentralStatus {
  private downSince: number | null = null;

  constructor(
    private readonly health: HealthState,
    private readonly logger: Logger,
  ) {}

  reachable(): void {
    if (this.downSince !== null) this.logger.info({ downForMs: Date.now() - this.downSince }, 'central API reachable again');
    this.downSince = null;
    this.health.clearDegraded('central-api');
  }

  unavailable(problem: string): void {
    if (this.downSince === null) {
      this.downSince = Date.now();
      this.logger.warn({ problem }, 'central API unavailable; local data stays as it is and pulls are retried with backoff');
    }
    this.health.setDegraded('central-api', problem);
  }
}
