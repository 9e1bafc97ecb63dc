import { checkEventEnvelope } from '@goldpdv/core';
import { toIso, type OutboxRow, type RowOutcome } from '../outbox/outbox-row.js';

/**
 * Sets aside, before any network traffic, the rows that can never be delivered as they are: an envelope that
 * the contract refuses (core's checkEventEnvelope, which central ingest applies too), or a poison row that the
 * worker has died on again and again. Each becomes a dead letter with its reason; the rest of the batch goes on.
 */
export function triageRows(rows: readonly OutboxRow[], poisonClaimLimit: number): { ready: OutboxRow[]; setAside: RowOutcome[] } {
  const ready: OutboxRow[] = [];
  const setAside: RowOutcome[] = [];
  for (const row of rows) {
    const reason = poisonReason(row, poisonClaimLimit) ?? invalidReason(row);
    if (reason) setAside.push({ kind: 'dead', row, reason, httpStatus: null });
    else ready.push(row);
  }
  return { ready, setAside };
}

function poisonReason(row: OutboxRow, limit: number): string | null {
  // claimCount already includes the current claim; the previous ones all ended without a result.
  if (row.claimCount < limit) return null;
  return `poison: claimed ${row.claimCount} times without reaching a result (the worker stopped while holding it each time)`;
}

function invalidReason(row: OutboxRow): string | null {
  const checked = checkEventEnvelope({ eventId: row.eventId, type: row.eventType, streamKey: row.streamKey, occurredAt: toIso(row.createdAt), payload: row.payload });
  if (checked.ok) return null;
  const field = checked.path.map(String).join('.');
  return field === 'payload' ? `invalid payload: ${checked.message}` : `invalid event: ${field} ${checked.message}`;
}
