import { readFileSync } from 'node:fs';
import type { Queryable } from '../db/index.js';
import type { HealthState } from '../health/health-state.js';
import type { HttpClient } from '../http/index.js';
import { readLocalSyncStatus } from '../status/status-report.js';
import { PDV_STATUS_PATH, type PdvStatusReport, type ReportingDaemon } from './pdv-status-contract.js';

interface ReporterLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface StatusReporterOptions {
  service: ReportingDaemon;
  version: string;
  db: Queryable;
  health: HealthState;
  http: HttpClient;
  /** Base URL of the central API. */
  centralUrl: string;
  token: string;
  /** Time between two reports; 0 sends none. */
  intervalMs: number;
  /** Wait before the first report (default: 5 s, or the interval when shorter), so a restart shows soon. */
  firstDelayMs?: number;
  /** Bound on one report's request. */
  timeoutMs?: number;
  logger: ReporterLogger;
  /**
   * The daemon's view of the central API, told what each report's answer says: a daemon with nothing else to send
   * (push-service in a closed store) would otherwise keep showing `reachable` after its token was revoked or the
   * VPS went away. A 2xx is reachable; 401/403, 408, 429, 5xx and no answer are unavailable; any other answer is
   * about the report itself and tells nothing.
   */
  central?: { reachable(): void; unavailable(problem: string, status?: number | null): void };
}

export interface StatusReporter {
  /** Builds and sends one report now; true when the central API took it. Never throws. */
  report(): Promise<boolean>;
  /** Stops the timer and waits for a report in flight (bounded by its timeout). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The heartbeat of the fleet view: every `intervalMs` the daemon sends its own part of `status` to the central
 * API. It runs beside the work loop and never touches it: a report that fails is logged (warn once, then debug
 * until one gets through) and the next one is tried at the next interval.
 */
const TELLS_UNAVAILABLE = (status: number): boolean => status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;

export function startStatusReporter(options: StatusReporterOptions): StatusReporter {
  const url = `${options.centralUrl.replace(/\/$/, '')}${PDV_STATUS_PATH}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stopping = new AbortController();
  let failing = false;
  let inFlight: Promise<boolean> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | null = null;

  const send = async (): Promise<boolean> => {
    let problem: string;
    try {
      const report = await buildStatusReport(options.service, options.version, options.db, options.health);
      const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]);
      const answer = await options.http.post(url, JSON.stringify(report), { authorization: `Bearer ${options.token}` }, signal);
      if (answer.status >= 200 && answer.status < 300) {
        if (failing) options.logger.info({}, 'status report accepted by the central API again');
        failing = false;
        options.central?.reachable();
        return true;
      }
      problem = `HTTP ${answer.status}: ${answer.body.slice(0, 300)}`;
      if (TELLS_UNAVAILABLE(answer.status)) options.central?.unavailable(`status report: ${problem}`, answer.status);
    } catch (error) {
      if (stopping.signal.aborted) return false;
      problem = (error as Error).message;
      options.central?.unavailable(`status report: ${problem}`, null);
    }
    // Once per streak at warn: the sync's own logs already say when the central API is down.
    if (failing) options.logger.debug({ problem }, 'status report not sent');
    else options.logger.warn({ problem, url }, 'status report not sent to the central API (the fleet view); sync is not affected, retried every STATUS_REPORT_INTERVAL_MS');
    failing = true;
    return false;
  };

  const report = (): Promise<boolean> => {
    inFlight ??= send().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      void report().finally(() => {
        if (stopped === null) schedule(options.intervalMs);
      });
    }, delayMs);
    timer.unref();
  };
  if (options.intervalMs > 0) schedule(options.firstDelayMs ?? Math.min(5_000, options.intervalMs));

  return {
    report,
    stop() {
      stopped ??= (async () => {
        clearTimeout(timer);
        stopping.abort();
        await inFlight;
      })();
      return stopped;
    },
  };
}

/** This daemon's part of `status`, read through the same views and code as the `status` command. */
export async function buildStatusReport(service: ReportingDaemon, version: string, db: Queryable, health: HealthState, now = new Date()): Promise<PdvStatusReport> {
  const readiness = health.readiness();
  const centralState = typeof readiness.info.centralState === 'string' ? readiness.info.centralState : 'reachable';
  const downSince = typeof readiness.info.centralDownSince === 'string' ? readiness.info.centralDownSince : null;
  const common = { version, clock: now.toISOString(), health: { ready: readiness.ok, centralState, centralDownSince: downSince } };
  const status = await readLocalSyncStatus(db);
  if (service === 'pull-service') {
    return {
      daemon: service,
      ...common,
      pull: {
        tables: status.tables.map((table) => ({
          table: table.table,
          version: table.version,
          mode: table.mode,
          lagSeconds: table.lastSuccessAt === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(table.lastSuccessAt)) / 1_000)),
          rejectedRows: table.rejectedRows,
          lastError: table.lastError?.slice(0, 500) ?? null,
        })),
      },
    };
  }
  const reconciliation = status.reconciliation;
  return {
    daemon: service,
    ...common,
    push: {
      outbox: {
        pending: status.outbox.pending,
        inFlight: status.outbox.inFlight,
        oldestPendingAgeSeconds: status.outbox.oldestPendingAgeSeconds,
        deadLetters: status.outbox.deadLetters,
      },
      captures: status.captures,
      reconciliation:
        reconciliation === null
          ? null
          : {
              checkedAt: reconciliation.checkedAt,
              centralError: reconciliation.centralError?.slice(0, 500) ?? null,
              daysCompared: reconciliation.days.length,
              differingDays: reconciliation.days.filter((day) => day.matches === false).map((day) => day.day).slice(0, 62),
            },
    },
  };
}

/** The version in a package.json next to the daemon's code; "unknown" when it cannot be read. */
export function packageVersion(packageJson: URL): string {
  try {
    const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' && version.length > 0 ? version.slice(0, 64) : 'unknown';
  } catch {
    return 'unknown';
  }
}
