/** One event waiting in sync_outbox, as the worker sees it after a claim. */
export interface OutboxRow {
  outboxId: string;
  eventId: string;
  eventType: string;
  streamKey: string;
  payload: string;
  createdAt: string;
  attempts: number;
  claimCount: number;
  /** The claim that holds the row: its outcome is recorded only while that claim still holds it. */
  leaseOwner: string;
}

/** What the worker decided for one claimed row after talking to the central API. */
export type RowOutcome =
  | { kind: 'sent'; row: OutboxRow; httpStatus: number }
  | { kind: 'retry'; row: OutboxRow; delayMs: number; error: string; httpStatus: number | null }
  | { kind: 'dead'; row: OutboxRow; reason: string; httpStatus: number | null };

export interface DeadLetterRow {
  outboxId: string;
  eventId: string;
  eventType: string;
  streamKey: string;
  payload: string;
  createdAt: string;
  attempts: number;
  lastStatus: number | null;
  reason: string;
  deadAt: string;
}

interface RawOutboxRow {
  outbox_id: string | number;
  event_id: string;
  event_type: string;
  stream_key: string;
  payload: string;
  created_at: string | Date;
  attempts: number;
  claim_count: number;
  lease_owner: string;
}

export function toOutboxRow(raw: RawOutboxRow): OutboxRow {
  return {
    outboxId: String(raw.outbox_id),
    eventId: String(raw.event_id).toLowerCase(),
    eventType: raw.event_type,
    streamKey: raw.stream_key,
    payload: raw.payload,
    createdAt: raw.created_at instanceof Date ? raw.created_at.toISOString() : String(raw.created_at),
    attempts: Number(raw.attempts),
    claimCount: Number(raw.claim_count),
    leaseOwner: raw.lease_owner,
  };
}

export type { RawOutboxRow };
