import { fail, pass, warn, type CheckResult } from './doctor-check.js';

/** Beyond this the line warns; beyond the next it fails. */
export const CLOCK_SKEW_WARN_MS = 30_000;
export const CLOCK_SKEW_FAIL_MS = 5 * 60_000;

export interface ClockReading {
  /** The process clock minus the central clock (positive: this machine is ahead). */
  processSkewMs: number;
  /** The database clock minus the central clock; null when the database did not answer. */
  databaseSkewMs: number | null;
  /** How far the reading itself can be off: half the round trip, plus the Date header's whole second. */
  uncertaintyMs: number;
}

const seconds = (ms: number): string => `${ms >= 0 ? '+' : '-'}${(Math.abs(ms) / 1_000).toFixed(1)} s`;

/**
 * What a skewed clock breaks. Leases, retry times and the outbox's order come from the database's own clock
 * and a sequence, so delivery is not affected. But sales and events are stamped by the PDV database's clock: a
 * PDV minutes off files sales under the wrong hour or day in central reports and the per-day reconciliation,
 * and one hours off can see the VPS certificate as not yet valid or expired (the TLS line then fails too).
 */
export function judgeClockSkew(reading: ClockReading): CheckResult {
  const worst = Math.max(Math.abs(reading.processSkewMs), Math.abs(reading.databaseSkewMs ?? 0));
  const beyondUncertainty = worst - reading.uncertaintyMs;
  const parts = [`this machine ${seconds(reading.processSkewMs)}`];
  if (reading.databaseSkewMs !== null) parts.push(`the database ${seconds(reading.databaseSkewMs)}`);
  const found = `against the central Date header: ${parts.join(', ')} (±${(reading.uncertaintyMs / 1_000).toFixed(1)} s)`;
  const fix = 'synchronise the clock of the PDV host (Windows: w32tm /resync, with a reachable time server; Linux: timedatectl set-ntp true or chrony); the database server takes the host clock';
  if (beyondUncertainty > CLOCK_SKEW_FAIL_MS) {
    return fail(`${found}: sales are stamped with the wrong time, so central reports and the per-day reconciliation file them under the wrong hour or day (and TLS certificates may look expired or not yet valid)`, fix);
  }
  if (beyondUncertainty > CLOCK_SKEW_WARN_MS) {
    return warn(`${found}: sale times drift from central's; delivery is unaffected (leases and retries use the database's own clock)`, fix);
  }
  return pass(found);
}
