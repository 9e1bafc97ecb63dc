import { Gauge, type Registry } from 'prom-client';
import type { HealthState } from './health-state.js';

interface AvailabilityLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * How the central API is serving this daemon:
 * - `reachable`;
 * - `unavailable`: a failed request, a 5xx, a 429, a timeout, for less than the alert bound;
 * - `unreachable-long`: unavailable for longer than CENTRAL_UNREACHABLE_ALERT_MS (a VPS gone for hours);
 * - `auth-refused`: 401/403 for longer than CENTRAL_AUTH_ALERT_MS: a revoked or rotated token, which no retry
 *   and no restart fixes.
 * None of them makes the daemon unready: the PDV keeps selling on its local data, and restarting the container
 * would not help. They show in the readiness body, in metrics (goldpdv_central_state), in `status` and in the
 * fleet view, each with a runbook entry.
 */
export type CentralState = 'reachable' | 'unavailable' | 'unreachable-long' | 'auth-refused';
export const CENTRAL_STATES: readonly CentralState[] = ['reachable', 'unavailable', 'unreachable-long', 'auth-refused'];

export interface CentralAvailabilityOptions {
  /** What the daemon does meanwhile, for the log line: "events stay in the outbox ...". */
  meanwhile: string;
  unreachableAlertMs?: number;
  authAlertMs?: number;
  metrics?: Registry;
  /** The clock, in ms; the tests give their own. */
  now?: () => number;
}

const DEFAULT_UNREACHABLE_ALERT_MS = 15 * 60_000;
const DEFAULT_AUTH_ALERT_MS = 60_000;

export class CentralAvailability {
  private downSince: number | null = null;
  private authRefusedSince: number | null = null;
  private current: CentralState = 'reachable';
  private readonly gauge: Gauge<'state'> | null;
  private readonly now: () => number;

  private readonly options: CentralAvailabilityOptions;

  constructor(
    private readonly health: HealthState,
    private readonly logger: AvailabilityLogger,
    options: CentralAvailabilityOptions | string,
  ) {
    this.options = typeof options === 'string' ? { meanwhile: options } : options;
    options = this.options;
    this.now = options.now ?? Date.now;
    this.gauge = options.metrics
      ? new Gauge({ name: 'goldpdv_central_state', help: 'How the central API serves this daemon: 1 for the current state, 0 for the others', labelNames: ['state'], registers: [options.metrics] })
      : null;
    this.publish();
  }

  get state(): CentralState {
    return this.current;
  }

  get isUnavailable(): boolean {
    return this.downSince !== null;
  }

  reachable(): void {
    if (this.downSince !== null) this.logger.info({ downForMs: this.now() - this.downSince, wasState: this.current }, 'central API reachable again');
    this.downSince = null;
    this.authRefusedSince = null;
    this.current = 'reachable';
    this.health.clearDegraded('central-api');
    this.publish();
  }

  /** `status` is the HTTP status of the answer, or null/undefined when none came (network, timeout). */
  unavailable(problem: string, status?: number | null): void {
    const now = this.now();
    if (this.downSince === null) {
      this.downSince = now;
      this.logger.warn({ problem, status: status ?? null }, `central API unavailable; ${this.options.meanwhile}`);
    }
    const refused = status === 401 || status === 403;
    this.authRefusedSince = refused ? (this.authRefusedSince ?? now) : null;
    const next: CentralState =
      this.authRefusedSince !== null && now - this.authRefusedSince >= (this.options.authAlertMs ?? DEFAULT_AUTH_ALERT_MS)
        ? 'auth-refused'
        : now - this.downSince >= (this.options.unreachableAlertMs ?? DEFAULT_UNREACHABLE_ALERT_MS)
          ? 'unreachable-long'
          : 'unavailable';
    if (next !== this.current && next !== 'unavailable') {
      const since = new Date(next === 'auth-refused' ? this.authRefusedSince! : this.downSince).toISOString();
      this.logger.error(
        { problem, status: status ?? null, since },
        next === 'auth-refused'
          ? 'central API keeps refusing this PDV\'s token (401/403): check CENTRAL_API_TOKEN and the PDV\'s registration (runbook: central auth refused)'
          : 'central API unreachable for longer than CENTRAL_UNREACHABLE_ALERT_MS (runbook: central unreachable for long)',
      );
    }
    this.current = next;
    this.health.setDegraded('central-api', `${next}: ${problem}`);
    this.publish();
  }

  private publish(): void {
    this.health.setInfo('centralState', this.current);
    this.health.setInfo('centralDownSince', this.downSince === null ? null : new Date(this.downSince).toISOString());
    for (const state of CENTRAL_STATES) this.gauge?.set({ state }, state === this.current ? 1 : 0);
  }
}
