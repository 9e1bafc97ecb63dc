import { z } from 'zod';
import { CENTRAL_STATES } from '../health/central-availability.js';

/**
 * The status report a PDV daemon sends to the central API (POST /v1/pdv/status, the PDV's bearer token), every
 * STATUS_REPORT_INTERVAL_MS: its own part of `status`, compact, for the fleet view at headquarters. The PDV is
 * the token's, never a field of the body. Unknown members are dropped (a newer daemon may send more); a member
 * of the wrong type or out of bounds makes the whole report a 400 problem naming its path.
 */

const MAX_TEXT = 500;
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const seconds = z.number().min(0).max(10 * 365 * 86_400).nullable();
const isoTime = z.string().datetime({ offset: true });
const text = z.string().max(MAX_TEXT);

export const REPORTING_DAEMONS = ['pull-service', 'push-service'] as const;
export type ReportingDaemon = (typeof REPORTING_DAEMONS)[number];

const healthSchema = z.object({
  /** The daemon's own readiness (database and loop). */
  ready: z.boolean(),
  /** How the central API serves it (CentralAvailability). */
  centralState: z.enum(CENTRAL_STATES as [string, ...string[]]),
  centralDownSince: isoTime.nullable(),
});

const tableSchema = z.object({
  table: z.string().min(1).max(128),
  /** The checkpoint version, as text (a bigint). */
  version: z.string().regex(/^-?\d{1,20}$/, 'expected an integer as text'),
  mode: z.enum(['delta', 'snapshot']),
  /** Seconds since the table was last pulled up to date; null before its first success. */
  lagSeconds: seconds,
  rejectedRows: count,
  lastError: text.nullable(),
});

const pullSchema = z.object({
  tables: z.array(tableSchema).max(1_000),
});

const pushSchema = z.object({
  outbox: z.object({
    pending: count,
    inFlight: count,
    oldestPendingAgeSeconds: seconds,
    deadLetters: count,
  }),
  captures: z.object({ pending: count, oldestAgeSeconds: seconds }).nullable(),
  /** The sales reconciliation push-service last recorded, summed up; null where the PDV schema has none. */
  reconciliation: z
    .object({
      checkedAt: isoTime.nullable(),
      centralError: text.nullable(),
      daysCompared: count,
      /** Days whose sales differ from the central API's (at most 31, the days compared). */
      differingDays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).max(62),
    })
    .nullable(),
});

const common = {
  version: z.string().min(1).max(64),
  /** The PDV's clock when it sent the report: central compares it with its own (a PDV clock gone astray). */
  clock: isoTime,
  health: healthSchema,
};

export const pdvStatusReportSchema = z.discriminatedUnion('daemon', [
  z.object({ daemon: z.literal('pull-service'), ...common, pull: pullSchema }),
  z.object({ daemon: z.literal('push-service'), ...common, push: pushSchema }),
]);

export type PdvStatusReport = z.infer<typeof pdvStatusReportSchema>;
export type PullStatusReport = Extract<PdvStatusReport, { daemon: 'pull-service' }>;
export type PushStatusReport = Extract<PdvStatusReport, { daemon: 'push-service' }>;

export const PDV_STATUS_PATH = '/v1/pdv/status';

export type StatusReportCheck = { ok: true; report: PdvStatusReport } | { ok: false; field: string; problem: string };

/** The report, or the first problem with the path of its member ("pull.tables.0.version"). */
export function checkPdvStatusReport(body: unknown): StatusReportCheck {
  const parsed = pdvStatusReportSchema.safeParse(body);
  if (parsed.success) return { ok: true, report: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length === 0 ? '(body)' : issue.path.join('.');
  return { ok: false, field, problem: `${field}: ${issue.message}` };
}
