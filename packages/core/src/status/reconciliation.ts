/**
 * Sales reconciliation: what a PDV holds against what the central API received, per day and per cash-register
 * session. This is the one place the figures are compared: push-service uses it when it records them, `status`
 * when it shows them, and a fleet view can use it for many PDVs. Totals are decimals written as text ("10.4500"),
 * added and compared exactly (never through a binary floating-point number).
 */

/** Sales of one session on one day: how many, and their total. */
export interface SalesFigure {
  day: string;
  session: string;
  sales: number;
  total: string;
}

/** What the central API counts of one event type for one day and session (GET /v1/reconciliation). */
export interface EventFigure {
  eventType: string;
  day: string;
  session: string;
  events: number;
  total: string;
}

export interface ReconciliationRow {
  day: string;
  /** The session, or null for a day's row (all its sessions). */
  session: string | null;
  local: { sales: number; total: string };
  /** null: the central API's figures are not known (not asked yet, or it could not answer). */
  central: { sales: number; total: string } | null;
  /** local minus central; null when central is not known. */
  difference: { sales: number; total: string } | null;
  /** null when central is not known. */
  matches: boolean | null;
}

export interface Reconciliation {
  days: ReconciliationRow[];
  sessions: ReconciliationRow[];
}

/**
 * The central API's sales from its event counts: the events of `plus` (a sale finalised) minus those of `minus`
 * (a sale cancelled), per day and session. A sale finalised, cancelled and finalised again counts once.
 */
export function centralSalesFigures(events: readonly EventFigure[], plus: string, minus: readonly string[]): SalesFigure[] {
  const figures = new Map<string, SalesFigure>();
  for (const event of events) {
    const sign = event.eventType === plus ? 1 : minus.includes(event.eventType) ? -1 : 0;
    if (sign === 0) continue;
    const key = `${event.day}\u0000${event.session}`;
    const figure = figures.get(key) ?? { day: event.day, session: event.session, sales: 0, total: '0' };
    figure.sales += sign * event.events;
    figure.total = sign > 0 ? addDecimals(figure.total, event.total) : subtractDecimals(figure.total, event.total);
    figures.set(key, figure);
  }
  return [...figures.values()];
}

/**
 * Compares the PDV's figures with the central API's (null: not known), per session and per day. A session or
 * day present on one side only counts as zero sales on the other. Rows are in day, then session order.
 */
export function reconcileFigures(local: readonly SalesFigure[], central: readonly SalesFigure[] | null): Reconciliation {
  const sessions = new Map<string, { day: string; session: string; local: SalesFigure | null; central: SalesFigure | null }>();
  const add = (figure: SalesFigure, side: 'local' | 'central') => {
    const key = `${figure.day}\u0000${figure.session}`;
    const entry = sessions.get(key) ?? { day: figure.day, session: figure.session, local: null, central: null };
    const existing = entry[side];
    entry[side] = existing === null ? { ...figure } : { ...existing, sales: existing.sales + figure.sales, total: addDecimals(existing.total, figure.total) };
    sessions.set(key, entry);
  };
  for (const figure of local) add(figure, 'local');
  for (const figure of central ?? []) add(figure, 'central');

  const known = central !== null;
  const sessionRows = [...sessions.values()]
    .sort((a, b) => (a.day === b.day ? (a.session < b.session ? -1 : a.session > b.session ? 1 : 0) : a.day < b.day ? -1 : 1))
    .map((entry) => row(entry.day, entry.session, entry.local, known ? entry.central ?? zero(entry.day, entry.session) : null));

  const days = new Map<string, { local: SalesFigure; central: SalesFigure }>();
  for (const session of sessionRows) {
    const day = days.get(session.day) ?? { local: zero(session.day, ''), central: zero(session.day, '') };
    day.local = sum(day.local, session.local);
    if (session.central !== null) day.central = sum(day.central, session.central);
    days.set(session.day, day);
  }
  const dayRows = [...days.entries()].map(([day, figures]) => row(day, null, figures.local, known ? figures.central : null));
  return { days: dayRows, sessions: sessionRows };
}

function row(day: string, session: string | null, local: SalesFigure | null, central: SalesFigure | null): ReconciliationRow {
  const mine = { sales: local?.sales ?? 0, total: normalizeDecimal(local?.total ?? '0') };
  if (central === null) return { day, session, local: mine, central: null, difference: null, matches: null };
  const theirs = { sales: central.sales, total: normalizeDecimal(central.total) };
  const difference = { sales: mine.sales - theirs.sales, total: subtractDecimals(mine.total, theirs.total) };
  return { day, session, local: mine, central: theirs, difference, matches: difference.sales === 0 && difference.total === '0' };
}

const zero = (day: string, session: string): SalesFigure => ({ day, session, sales: 0, total: '0' });
const sum = (a: SalesFigure, b: { sales: number; total: string }): SalesFigure => ({ ...a, sales: a.sales + b.sales, total: addDecimals(a.total, b.total) });

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** A decimal's digits as a scaled integer. Anything that is not a plain decimal counts as 0. */
function parseDecimal(text: string): { units: bigint; scale: number } {
  const match = DECIMAL.exec(text.trim());
  if (match === null || (match[2] === '' && (match[3] ?? '') === '')) return { units: 0n, scale: 0 };
  const fraction = match[3] ?? '';
  const units = BigInt(`${match[2] || '0'}${fraction}`) * (match[1] === '-' ? -1n : 1n);
  return { units, scale: fraction.length };
}

function formatDecimal(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  const text = fraction === '' ? whole : `${whole}.${fraction}`;
  return negative && text !== '0' ? `-${text}` : text;
}

function combine(a: string, b: string, sign: 1n | -1n): string {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  const units = x.units * 10n ** BigInt(scale - x.scale) + sign * y.units * 10n ** BigInt(scale - y.scale);
  return formatDecimal(units, scale);
}

export function addDecimals(a: string, b: string): string {
  return combine(a, b, 1n);
}

export function subtractDecimals(a: string, b: string): string {
  return combine(a, b, -1n);
}

/** "10.4500" -> "10.45", "-0.00" -> "0": one text per value, so that equal totals compare equal. */
export function normalizeDecimal(text: string): string {
  return addDecimals(text, '0');
}
