import { safeParseEventEnvelope } from '@goldpdv/core';
import type { OutboxRow, RowOutcome } from './outbox/outbox-row.js';
import { toIso } from './central-client.js';

/**
 * Sets aside, before any network traffic, the rows that can never be delivered as they are: a payload that is
 * not a JSON object, an envelope field the contract refuses, or a poison row that the worker has died on again
 * and again. Each becomes a dead letter with its reason; the rest of the batch goes on.
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
  const envelope = safeParseEventEnvelope({
    eventId: row.eventId,
    type: row.eventType,
    streamKey: row.streamKey,
    occurredAt: toIso(row.createdAt),
    payload: row.payload,
  });
  if (!envelope.success) {
    const issue = envelope.error.issues[0]!;
    return `invalid event: ${issue.path.join('.')} ${issue.message}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.payload);
  } catch (error) {
    return `invalid payload: not JSON (${(error as Error).message})`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'invalid payload: not a JSON object';
  return null;
}
