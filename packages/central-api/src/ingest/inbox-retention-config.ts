import type { ParseResult } from '../parse-result.js';

/** Unset: rows leave the inbox 90 days after they arrived. */
export const DEFAULT_INBOX_RETENTION_DAYS = 90;

/**
 * The shortest retention accepted. GET /v1/reconciliation counts a PDV's sale events from the inbox, over a
 * range of up to 31 days, reading the events received from the day before the range: a PDV reconciling its last
 * 31 days needs 33 days of arrivals. Two more days of margin cover time zones and clocks.
 */
export const MIN_INBOX_RETENTION_DAYS = 35;
export const MAX_INBOX_RETENTION_DAYS = 3_650;

const EXPECTED = `expected 0 (keep every event) or a whole number of days from ${MIN_INBOX_RETENTION_DAYS} to ${MAX_INBOX_RETENTION_DAYS}`;

/**
 * INBOX_RETENTION_DAYS: how many days an event stays in sync_inbox after it arrived. 0 turns the purge off (the
 * inbox keeps every event, as before); unset or empty is the default. Shorter than MIN_INBOX_RETENTION_DAYS is
 * refused, since the reconciliation would then report purged sales as missing.
 */
export function parseInboxRetentionDays(raw: string | undefined): ParseResult<number> {
  const text = raw?.trim() ?? '';
  if (text === '') return { ok: true, value: DEFAULT_INBOX_RETENTION_DAYS };
  if (!/^\d{1,5}$/.test(text)) return { ok: false, message: EXPECTED };
  const days = Number(text);
  if (days !== 0 && (days < MIN_INBOX_RETENTION_DAYS || days > MAX_INBOX_RETENTION_DAYS)) return { ok: false, message: EXPECTED };
  return { ok: true, value: days };
}
