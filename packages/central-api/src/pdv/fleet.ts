import { pdvStatusReportSchema, type PullStatusReport, type PushStatusReport, type Queryable } from '@goldpdv/core';
import type { PdvRecord, PdvStore } from './pdv-store.js';
import type { StatusReportStore, StoredStatusReport } from './status-report-store.js';

/**
 * The fleet: every registered PDV with what central knows of it, and the one judgement of its state. `central-api
 * pdv list`, `central-api fleet`, the fleet page (GET /fleet on the admin port) and the goldpdv_fleet_pdvs gauge
 * all read this list, so there is one place that decides what a PDV's state is.
 */

/** A PDV's state, most urgent first: the fleet is listed in this order. */
export const FLEET_STATES = ['silent', 'auth-refused', 'unreachable-long', 'dead-letters', 'behind', 'ok', 'revoked'] as const;
export type FleetState = (typeof FLEET_STATES)[number];

export interface FleetEntry {
  pdvId: string;
  lojaId: number;
  active: boolean;
  label: string | null;
  createdAt: string | null;
  tokenIssuedAt: string | null;
  /** The latest request central recorded (written every PDV_LAST_SEEN_INTERVAL_MS per replica, so up to that old). */
  lastSeenAt: string | null;
  /** The latest of lastSeenAt and the reports' arrival: when central last heard from the PDV. */
  lastHeardAt: string | null;
  state: FleetState;
  /** Why the PDV is in that state, in a few words an operator can act on. */
  reason: string;
  /** How long the state's cause has lasted, in seconds (silent since, refused since, lagging for...), when known. */
  forSeconds: number | null;
  /** What the PDV reports of its own sync; null until its daemons report. */
  syncState: PdvSyncState | null;
}

/** The PDV's own reports (POST /v1/pdv/status), the latest of each daemon. */
export interface PdvSyncState {
  /** When the latest report arrived (central's clock). */
  reportedAt: string;
  /** One line: versions, outbox, dead letters, worst table lag, reconciliation. */
  summary: string;
  /** The PDV's clock minus central's when the latest report arrived, in seconds (a clock gone astray). */
  clockSkewSeconds: number | null;
  pull: (PullStatusReport & { receivedAt: string }) | null;
  push: (PushStatusReport & { receivedAt: string }) | null;
}

export interface FleetFilter {
  lojaId?: number;
  /** Only PDVs whose token is accepted (active), or only revoked ones. */
  active?: boolean;
}

export interface FleetThresholds {
  /** Nothing heard for longer than this: silent (FLEET_SILENT_MINUTES). */
  silentAfterSeconds: number;
  /** A table not pulled up to date, or an event waiting, for longer than this: behind (FLEET_BEHIND_MINUTES). */
  behindAfterSeconds: number;
}

export const DEFAULT_FLEET_THRESHOLDS: FleetThresholds = { silentAfterSeconds: 15 * 60, behindAfterSeconds: 30 * 60 };

/** The registry and the reports, in the database's dialect (storesFor). */
export interface FleetStores {
  pdvs: PdvStore;
  statusReports: StatusReportStore;
}

export async function readFleet(db: Queryable, stores: FleetStores, filter: FleetFilter = {}, thresholds: FleetThresholds = DEFAULT_FLEET_THRESHOLDS, now = new Date()): Promise<FleetEntry[]> {
  const pdvs = (await stores.pdvs.listAll(db)).filter(
    (pdv) => (filter.lojaId === undefined || pdv.lojaId === filter.lojaId) && (filter.active === undefined || pdv.active === filter.active),
  );
  const reports = await readPdvSyncStates(db, stores.statusReports, new Set(pdvs.map((pdv) => pdv.pdvId)));
  return sortByUrgency(pdvs.map((pdv) => judgePdv(pdv, reports.get(pdv.pdvId) ?? null, thresholds, now)));
}

/** How many PDVs are in each state (every state named, zeros included): the gauge's values. */
export function countByState(entries: readonly FleetEntry[]): Record<FleetState, number> {
  const counts = Object.fromEntries(FLEET_STATES.map((state) => [state, 0])) as Record<FleetState, number>;
  for (const entry of entries) counts[entry.state] += 1;
  return counts;
}

/** Most urgent state first; within a state, the longest-lasting first; then by loja and PDV. */
export function sortByUrgency(entries: FleetEntry[]): FleetEntry[] {
  const rank = (state: FleetState) => FLEET_STATES.indexOf(state);
  return entries.sort(
    (a, b) => rank(a.state) - rank(b.state) || (b.forSeconds ?? -1) - (a.forSeconds ?? -1) || a.lojaId - b.lojaId || a.pdvId.localeCompare(b.pdvId),
  );
}

/** A PDV clock this far from central's is mentioned in the summary. */
const CLOCK_NOTE_SECONDS = 120;

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1_000));
const latest = (...times: (Date | null)[]): Date | null => times.reduce<Date | null>((best, t) => (t !== null && (best === null || t > best) ? t : best), null);

/** The one judgement of a PDV's state, from the registry and its latest reports. */
export function judgePdv(pdv: PdvRecord, sync: PdvSyncState | null, thresholds: FleetThresholds, now: Date): FleetEntry {
  const reportTimes = [sync?.pull?.receivedAt, sync?.push?.receivedAt].map((at) => (at ? new Date(at) : null));
  const heard = latest(pdv.lastSeenAt, ...reportTimes);
  const entry = (state: FleetState, reason: string, forSeconds: number | null): FleetEntry => ({
    pdvId: pdv.pdvId,
    lojaId: pdv.lojaId,
    active: pdv.active,
    label: pdv.label,
    createdAt: pdv.createdAt?.toISOString() ?? null,
    tokenIssuedAt: pdv.tokenIssuedAt?.toISOString() ?? null,
    lastSeenAt: pdv.lastSeenAt?.toISOString() ?? null,
    lastHeardAt: heard?.toISOString() ?? null,
    state,
    reason,
    forSeconds,
    syncState: sync,
  });

  if (!pdv.active) return entry('revoked', 'token revoked: central refuses this PDV (pdv activate to accept it again)', null);
  if (heard === null) {
    return entry('silent', 'never heard from: no request and no status report since it was registered', pdv.createdAt === null ? null : seconds(now.getTime() - pdv.createdAt.getTime()));
  }
  const quietFor = seconds(now.getTime() - heard.getTime());
  if (quietFor > thresholds.silentAfterSeconds) return entry('silent', `nothing heard for ${duration(quietFor)}`, quietFor);

  const reports = [sync?.pull, sync?.push].filter((report) => report !== null && report !== undefined);
  for (const state of ['auth-refused', 'unreachable-long'] as const) {
    const report = reports.find((r) => r.health.centralState === state);
    if (report !== undefined) {
      const since = report.health.centralDownSince === null ? null : seconds(now.getTime() - Date.parse(report.health.centralDownSince));
      const what = state === 'auth-refused' ? 'central refuses its token (401/403)' : 'central unreachable for long';
      return entry(state, `${report.daemon} reports: ${what}${since === null ? '' : ` for ${duration(since)}`}`, since);
    }
  }

  const push = sync?.push ?? null;
  if (push !== null && push.push.outbox.deadLetters > 0) {
    return entry('dead-letters', `${push.push.outbox.deadLetters} event(s) set aside in dead letters (status on the PDV says why)`, null);
  }

  const behind = behindReasons(sync, thresholds, now);
  if (behind.length > 0) {
    const worst = behind.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    return entry('behind', behind.map((b) => b.text).join('; '), worst.seconds);
  }
  return entry('ok', sync === null ? 'calls central; no status report yet' : 'in sync', null);
}

/** Tables not pulled up to date, and events waiting, for longer than the bound, as of now (a report ages too). */
function behindReasons(sync: PdvSyncState | null, thresholds: FleetThresholds, now: Date): { text: string; seconds: number }[] {
  const reasons: { text: string; seconds: number }[] = [];
  if (sync?.pull) {
    const age = seconds(now.getTime() - Date.parse(sync.pull.receivedAt));
    for (const table of sync.pull.pull.tables) {
      if (table.lagSeconds === null) continue;
      const lag = table.lagSeconds + age;
      if (lag > thresholds.behindAfterSeconds) reasons.push({ text: `table ${table.table} last up to date ${duration(lag)} ago`, seconds: lag });
    }
  }
  if (sync?.push) {
    const oldest = sync.push.push.outbox.oldestPendingAgeSeconds;
    const waited = oldest === null ? null : oldest + seconds(now.getTime() - Date.parse(sync.push.receivedAt));
    if (waited !== null && waited > thresholds.behindAfterSeconds) reasons.push({ text: `oldest pending event waits for ${duration(waited)} (${sync.push.push.outbox.pending} pending)`, seconds: waited });
  }
  return reasons;
}

/** 75 -> "1 min 15 s", 7_500 -> "2 h 5 min", 200_000 -> "2 d 7 h". */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3_600) return `${Math.floor(s / 60)} min${s % 60 === 0 ? '' : ` ${s % 60} s`}`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h${Math.floor((s % 3_600) / 60) === 0 ? '' : ` ${Math.floor((s % 3_600) / 60)} min`}`;
  return `${Math.floor(s / 86_400)} d${Math.floor((s % 86_400) / 3_600) === 0 ? '' : ` ${Math.floor((s % 86_400) / 3_600)} h`}`;
}

/**
 * The stored reports of these PDVs, by PDV. A stored report that no longer passes the contract (written by a
 * newer central-api, say) is left out rather than trusted.
 */
async function readPdvSyncStates(db: Queryable, store: StatusReportStore, pdvIds: ReadonlySet<string>): Promise<Map<string, PdvSyncState>> {
  const rows = (await store.readAll(db)).filter((row) => pdvIds.has(row.pdvId));
  const byPdv = new Map<string, StoredStatusReport[]>();
  for (const row of rows) byPdv.set(row.pdvId, [...(byPdv.get(row.pdvId) ?? []), row]);
  const states = new Map<string, PdvSyncState>();
  for (const [pdvId, stored] of byPdv) {
    let pull: PdvSyncState['pull'] = null;
    let push: PdvSyncState['push'] = null;
    for (const row of stored) {
      const parsed = parseStored(row.report);
      if (parsed === null) continue;
      const receivedAt = row.receivedAt.toISOString();
      if (parsed.daemon === 'pull-service') pull = { ...parsed, receivedAt };
      else push = { ...parsed, receivedAt };
    }
    if (pull === null && push === null) continue;
    const newest = [pull, push].filter((r) => r !== null).reduce((a, b) => (b.receivedAt > a.receivedAt ? b : a));
    const skew = Math.round((Date.parse(newest.clock) - Date.parse(newest.receivedAt)) / 1_000);
    // Past two minutes a PDV's clock misdates its sales and its logs: worth a word in the summary.
    const clockNote = Math.abs(skew) >= CLOCK_NOTE_SECONDS ? `; PDV clock ${duration(Math.abs(skew))} ${skew > 0 ? 'ahead' : 'behind'}` : '';
    states.set(pdvId, {
      reportedAt: newest.receivedAt,
      summary: summaryOf(pull, push) + clockNote,
      clockSkewSeconds: skew,
      pull,
      push,
    });
  }
  return states;
}

function parseStored(text: string) {
  try {
    const parsed = pdvStatusReportSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function summaryOf(pull: PdvSyncState['pull'], push: PdvSyncState['push']): string {
  const parts: string[] = [];
  if (pull !== null) {
    const lags = pull.pull.tables.map((t) => t.lagSeconds).filter((lag) => lag !== null);
    const rejected = pull.pull.tables.reduce((sum, t) => sum + t.rejectedRows, 0);
    parts.push(`pull ${pull.version}: ${pull.pull.tables.length} table(s), worst lag ${lags.length === 0 ? '-' : duration(Math.max(...lags))}${rejected > 0 ? `, ${rejected} rejected row(s)` : ''}`);
  }
  if (push !== null) {
    const o = push.push.outbox;
    const r = push.push.reconciliation;
    const reconciled = r === null ? '' : r.differingDays.length > 0 ? `, sales DIFFER on ${r.differingDays.join(', ')}` : r.checkedAt === null ? '' : ', sales match';
    parts.push(`push ${push.version}: ${o.pending} pending${o.oldestPendingAgeSeconds === null ? '' : ` (oldest ${duration(o.oldestPendingAgeSeconds)})`}, ${o.deadLetters} dead${reconciled}`);
  }
  return parts.join('; ');
}
